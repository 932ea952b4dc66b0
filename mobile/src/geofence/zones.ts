/**
 * Alert zones as the device keeps them: parsed from GET /api/v1/alert-zones, each polygon with
 * a stable id, its box and an enclosing circle (what the OS can monitor).
 */
import type { Position } from "geojson";
import type { AlertZonesResponse, ZoneFeature } from "../api/types";
import {
  type BBox,
  type Circle,
  type LonLat,
  type PolygonRings,
  bboxOfPolygons,
  enclosingCircle,
  polygonContains,
} from "../geo/geometry";

export type ZoneLevel = "alert" | "clear";
/** Notification categories follow this; "high" only when the server marks a zone so. */
export type ThreatLevel = "elevated" | "high";

export interface Zone {
  id: string;
  level: ZoneLevel;
  threshold: number;
  threatLevel: ThreatLevel;
  polygons: PolygonRings[];
  bbox: BBox;
  circle: Circle;
}

export interface ZoneSet {
  generation: number;
  alertThreshold: number;
  clearThreshold: number;
  /** The box the zones were fetched for: outside it the device knows nothing. */
  loadedBox: BBox;
  fetchedAtMs: number;
  zones: Zone[];
}

/** OS geofences are unreliable below about 100 m, so no region is smaller. */
export const MIN_REGION_RADIUS_M = 100;
const HIGH_THREAT_SCORE = 0.8;

const toRings = (rings: Position[][]): PolygonRings =>
  rings.map((ring) => ring.map(([lon = NaN, lat = NaN]): LonLat => [lon, lat]));

function polygonsOf(feature: ZoneFeature): PolygonRings[] {
  const geometry = feature.geometry;
  if (geometry.type === "Polygon") return [toRings(geometry.coordinates)];
  if (geometry.type === "MultiPolygon") return geometry.coordinates.map(toRings);
  return [];
}

/** Same place, same id: the rounded centre of its box (about 10 m) and its level. */
function zoneId(level: ZoneLevel, box: BBox): string {
  const lon = ((box[0] + box[2]) / 2).toFixed(4);
  const lat = ((box[1] + box[3]) / 2).toFixed(4);
  return `${level}:${lon},${lat}`;
}

function threatLevelOf(feature: ZoneFeature): ThreatLevel {
  const peak = feature.properties.risk_score_max ?? feature.properties.threshold;
  return peak >= HIGH_THREAT_SCORE ? "high" : "elevated";
}

export function parseZones(response: AlertZonesResponse, loadedBox: BBox, nowMs: number): ZoneSet {
  const zones: Zone[] = [];
  for (const feature of response.features) {
    const polygons = polygonsOf(feature);
    if (polygons.length === 0) continue;
    const bbox = bboxOfPolygons(polygons);
    const level = feature.properties.level;
    zones.push({
      id: zoneId(level, bbox),
      level,
      threshold: feature.properties.threshold,
      threatLevel: threatLevelOf(feature),
      polygons,
      bbox,
      circle: enclosingCircle(polygons, MIN_REGION_RADIUS_M),
    });
  }
  return {
    generation: response.generation,
    alertThreshold: response.alert_threshold,
    clearThreshold: response.clear_threshold,
    loadedBox,
    fetchedAtMs: nowMs,
    zones,
  };
}

export function zoneContains(zone: Zone, point: LonLat): boolean {
  const [lon, lat] = point;
  const [minLon, minLat, maxLon, maxLat] = zone.bbox;
  if (lon < minLon || lon > maxLon || lat < minLat || lat > maxLat) return false;
  return zone.polygons.some((rings) => polygonContains(rings, point));
}

/** The alert zones holding a point (score at or above the alert threshold there). */
export function alertZonesAt(set: ZoneSet, point: LonLat): Zone[] {
  return set.zones.filter((zone) => zone.level === "alert" && zoneContains(zone, point));
}

/** Whether a point is inside any clear zone (score at or above the lower, clear threshold). */
export function insideClearZone(set: ZoneSet, point: LonLat): boolean {
  return set.zones.some((zone) => zone.level === "clear" && zoneContains(zone, point));
}
