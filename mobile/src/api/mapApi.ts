/**
 * The map API's read endpoints the app uses (docs/map-api.md): style, TileJSON, district
 * details and alert zones. Alert zones are asked for a box, never for the device's position.
 */
import type { BBox } from "../geo/geometry";
import { type FetchLike, errorFrom, fetchWithTimeout, getJson } from "./http";
import type { AlertZonesResponse, NeighborhoodDetails, TileJson } from "./types";

export type ZoneFetchResult =
  { kind: "fresh"; response: AlertZonesResponse; etag: string | null } | { kind: "unchanged" };

export class MapApi {
  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: FetchLike = (input, init) => fetch(input, init),
  ) {}

  get styleUrl(): string {
    return `${this.baseUrl}/style.json`;
  }

  tileJson(layer: "risk" | "districts" | "incidents"): Promise<TileJson> {
    return getJson<TileJson>(`${this.baseUrl}/tiles/${layer}.json`, this.fetchImpl);
  }

  neighborhood(id: number): Promise<NeighborhoodDetails> {
    return getJson<NeighborhoodDetails>(
      `${this.baseUrl}/api/v1/neighborhoods/${encodeURIComponent(String(id))}`,
      this.fetchImpl,
    );
  }

  /** Zones in a box; with the ETag of the last answer, "unchanged" while the generation is. */
  async alertZones(box: BBox, etag: string | null): Promise<ZoneFetchResult> {
    const bbox = box.map((value) => value.toFixed(6)).join(",");
    const headers: Record<string, string> = { Accept: "application/geo+json" };
    if (etag) headers["If-None-Match"] = etag;
    const url = `${this.baseUrl}/api/v1/alert-zones?bbox=${bbox}`;
    const response = await fetchWithTimeout(url, { headers }, undefined, this.fetchImpl);
    if (response.status === 304) return { kind: "unchanged" };
    if (!response.ok) throw await errorFrom(response);
    const body = (await response.json()) as AlertZonesResponse;
    return { kind: "fresh", response: body, etag: response.headers.get("ETag") };
  }
}
