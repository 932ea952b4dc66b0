/**
 * The incidents API (GET /api/v1/incidents and /api/v1/incidents/{id}, see docs): recent
 * events near a point or in a district, newest first, each with the precision its source
 * gives. A server without the endpoint answers 404: the list then says so.
 */
import type { Geometry } from "geojson";
import { type FetchLike, getJson } from "./http";

export type Support = "point" | "place" | "district" | "municipality" | "county";

export interface IncidentLocation {
  support: Support;
  name: string | null;
  district_id: number | null;
  geometry: Geometry | null;
  /** Place support given as a point: the place's radius. */
  radius_m?: number | null;
}

export interface Incident {
  id: number;
  source: string;
  type: string;
  category: string;
  category_label: { sv: string; en: string };
  title: string;
  summary: string | null;
  occurred_at: string;
  published_at: string | null;
  url: string | null;
  location: IncidentLocation;
}

export interface IncidentPage {
  items: Incident[];
  next_cursor: string | null;
  as_of: string | null;
}

export type IncidentQuery =
  | { near: { lon: number; lat: number; radiusM: number }; limit?: number }
  | { district: number; limit?: number };

export const MAX_RADIUS_M = 20_000;

export function incidentsUrl(baseUrl: string, query: IncidentQuery): string {
  const params = new URLSearchParams();
  if ("near" in query) {
    params.set("lat", query.near.lat.toFixed(5));
    params.set("lon", query.near.lon.toFixed(5));
    params.set("radius_m", String(Math.round(Math.min(query.near.radiusM, MAX_RADIUS_M))));
  } else {
    params.set("district", String(query.district));
  }
  params.set("limit", String(query.limit ?? 30));
  return `${baseUrl}/api/v1/incidents?${params.toString()}`;
}

export class IncidentsApi {
  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl?: FetchLike,
  ) {}

  page(query: IncidentQuery): Promise<IncidentPage> {
    return getJson<IncidentPage>(incidentsUrl(this.baseUrl, query), this.fetchImpl);
  }

  one(id: number): Promise<Incident> {
    return getJson<Incident>(
      `${this.baseUrl}/api/v1/incidents/${encodeURIComponent(String(id))}`,
      this.fetchImpl,
    );
  }

  /**
   * Events near the centre and in each followed district, merged: each once, newest first
   * (occurred_at, then id, as the server orders one list).
   */
  async recent(
    centre: { lon: number; lat: number },
    followed: number[],
    radiusM = 2_000,
  ): Promise<Incident[]> {
    const queries: IncidentQuery[] = [
      { near: { ...centre, radiusM } },
      ...followed.map((district) => ({ district })),
    ];
    const pages = await Promise.all(queries.map((query) => this.page(query)));
    const byId = new Map<number, Incident>();
    for (const page of pages) for (const item of page.items) byId.set(item.id, item);
    return [...byId.values()].sort(newestFirst);
  }
}

export function newestFirst(a: Incident, b: Incident): number {
  const byTime = Date.parse(b.occurred_at) - Date.parse(a.occurred_at);
  return byTime !== 0 ? byTime : b.id - a.id;
}
