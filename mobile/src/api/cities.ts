/**
 * The cities Halo serves, from GET /api/v1/cities: each city's study area (bbox), its
 * emergency and police numbers and the credit of its data, which are data of the city on the
 * server, never the app's.
 * Anything of the wrong shape is dropped here, so the screens only ever see usable values.
 */
import { cityAt } from "../geo/cityAt";
import type { BBox, LonLat } from "../geo/geometry";
import { type FetchLike, HttpError, getJson } from "./http";

export interface CityView {
  lat: number;
  lon: number;
  zoom: number;
}

export interface City {
  code: string;
  name: string;
  time_zone: string | null;
  view: CityView | null;
  /** The city's study area [west, south, east, north], WGS 84 degrees; null when unknown. */
  bbox: BBox | null;
  /** A display string ("112", "604-717-3321"): digits, spaces, hyphens, an optional leading +. */
  emergency_number: string | null;
  police_number: string | null;
  /** Who published the data shown over the city ("Data: Vancouver Police Department"). */
  credit: string | null;
}

/** Longer than any real number; stops a wrong answer from filling the screen. */
const MAX_NUMBER_CHARS = 24;
const PHONE_NUMBER = /^\+?[0-9](?:[0-9 -]*[0-9])?$/;

const isFiniteNumber = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value);

function phoneNumber(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed.length <= MAX_NUMBER_CHARS && PHONE_NUMBER.test(trimmed) ? trimmed : null;
}

/** Longer than any real credit line; a credit is shown as text, never as markup. */
const MAX_CREDIT_CHARS = 400;

function credit(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed !== "" && trimmed.length <= MAX_CREDIT_CHARS ? trimmed : null;
}

/** West may exceed east (a box across the antimeridian); south may not exceed north. */
function bbox(value: unknown): BBox | null {
  if (!Array.isArray(value) || value.length !== 4 || !value.every(isFiniteNumber)) return null;
  const [west, south, east, north] = value as [number, number, number, number];
  const lonsOk = Math.abs(west) <= 180 && Math.abs(east) <= 180;
  const latsOk = south >= -90 && north <= 90 && south <= north;
  return lonsOk && latsOk ? [west, south, east, north] : null;
}

function view(value: unknown): CityView | null {
  const body = value as Partial<CityView> | null;
  return isFiniteNumber(body?.lat) && isFiniteNumber(body.lon) && isFiniteNumber(body.zoom)
    ? { lat: body.lat, lon: body.lon, zoom: body.zoom }
    : null;
}

function city(value: unknown): City | null {
  const body = value as Record<string, unknown> | null;
  if (typeof body !== "object" || body === null) return null;
  if (typeof body.code !== "string" || body.code === "" || typeof body.name !== "string")
    return null;
  return {
    code: body.code,
    name: body.name,
    time_zone: typeof body.time_zone === "string" ? body.time_zone : null,
    view: view(body.view),
    bbox: bbox(body.bbox),
    emergency_number: phoneNumber(body.emergency_number),
    police_number: phoneNumber(body.police_number),
    credit: credit(body.credit),
  };
}

/**
 * The credit of the data at a point: its city's (only that city's sources), else `fallback`
 * (the risk layer's TileJSON credit, which names every city's sources).
 */
export function creditAt(
  cities: readonly City[],
  point: LonLat,
  fallback: string | null,
): string | null {
  return cityAt(cities, point)?.credit ?? fallback;
}

/** The usable cities of an answer `{"cities": [...]}`, or null when it is not such an answer. */
export function parseCities(body: unknown): City[] | null {
  const list = (body as { cities?: unknown } | null)?.cities;
  if (!Array.isArray(list)) return null;
  return list.map(city).filter((item): item is City => item !== null);
}

/**
 * The server's cities; null when the server has no such endpoint, refuses, or sends another
 * shape. No answer at all (offline, timeout) is an HttpError too, so also null.
 */
export async function fetchCities(baseUrl: string, fetchImpl?: FetchLike): Promise<City[] | null> {
  try {
    return parseCities(await getJson<unknown>(`${baseUrl}/api/v1/cities`, fetchImpl));
  } catch (error) {
    if (error instanceof HttpError) return null;
    throw error;
  }
}
