/** Zones made by hand for the tests: squares of a given size around points in Stockholm. */
import type { AlertZonesResponse, ZoneFeature } from "../../src/api/types";
import type { LonLat } from "../../src/geo/geometry";
import type { ZoneSet } from "../../src/geofence/zones";
import { parseZones } from "../../src/geofence/zones";
import { zoneFetchBox } from "../../src/geofence/regions";

export const ORIGIN: LonLat = [18.062, 59.331];
const M_PER_DEG_LAT = 111_320;
const mPerDegLon = (lat: number) => M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180);

/** The point `eastM` metres east and `northM` metres north of `from`. */
export function offset(from: LonLat, eastM: number, northM: number): [number, number] {
  return [from[0] + eastM / mPerDegLon(from[1]), from[1] + northM / M_PER_DEG_LAT];
}

export function squareRing(center: LonLat, halfM: number): [number, number][] {
  const sw = offset(center, -halfM, -halfM);
  const ne = offset(center, halfM, halfM);
  return [sw, [ne[0], sw[1]], ne, [sw[0], ne[1]], sw];
}

export function squareFeature(
  level: "alert" | "clear",
  center: LonLat,
  halfM: number,
  extra: Partial<ZoneFeature["properties"]> = {},
): ZoneFeature {
  return {
    type: "Feature",
    properties: { level, threshold: level === "alert" ? 0.6 : 0.5, area_km2: 0, ...extra },
    geometry: { type: "Polygon", coordinates: [squareRing(center, halfM)] },
  };
}

export function zonesResponse(features: ZoneFeature[], generation = 1): AlertZonesResponse {
  return {
    type: "FeatureCollection",
    generation,
    resolution: 9,
    alert_threshold: 0.6,
    clear_threshold: 0.5,
    features,
  };
}

/** An alert square of 200 m inside a clear square of 500 m, both centred on ORIGIN. */
export function hotSpotZones(nowMs = 0): ZoneSet {
  const response = zonesResponse([
    squareFeature("alert", ORIGIN, 100),
    squareFeature("clear", ORIGIN, 250),
  ]);
  return parseZones(response, zoneFetchBox(ORIGIN), nowMs);
}
