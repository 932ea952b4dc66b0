/**
 * Which circles to hand to the OS: the nearest alert zones within the platform's limit, plus
 * one larger "refresh" region around the device whose exit means: choose again. Also the
 * grid-aligned box the device asks zones for, so the server learns a ~10 km square at most.
 */
import { type BBox, type LonLat, distanceM, distanceToBoxEdgeM } from "../geo/geometry";
import type { Zone, ZoneSet } from "./zones";

export type Platform = "ios" | "android" | "web";

/** Regions an app may monitor at once: iOS (Core Location) 20, Android (Play services) 100. */
export const OS_REGION_LIMIT: Record<Platform, number> = { ios: 20, android: 100, web: 100 };
export const REFRESH_REGION_ID = "refresh";
export const ZONE_REGION_PREFIX = "zone:";
/** Smaller refresh circles would fire on GPS jitter alone. */
export const MIN_REFRESH_RADIUS_M = 200;

export interface MonitoredRegion {
  identifier: string;
  latitude: number;
  longitude: number;
  radius: number;
  notifyOnEnter: boolean;
  notifyOnExit: boolean;
}

export interface RegionSelection {
  zoneRegions: MonitoredRegion[];
  refreshRegion: MonitoredRegion;
}

// The zone-fetch grid: cells of 0.05° latitude × 0.1° longitude (about 5.6 × 5.7 km here).
const GRID_LAT_DEG = 0.05;
const GRID_LON_DEG = 0.1;

const round6 = (value: number): number => Math.round(value * 1e6) / 1e6;

/** The grid cell holding a point, grown by `rings` cells on every side. */
function gridBox(point: LonLat, rings: number): BBox {
  const col = Math.floor(point[0] / GRID_LON_DEG);
  const row = Math.floor(point[1] / GRID_LAT_DEG);
  return [
    round6((col - rings) * GRID_LON_DEG),
    round6((row - rings) * GRID_LAT_DEG),
    round6((col + 1 + rings) * GRID_LON_DEG),
    round6((row + 1 + rings) * GRID_LAT_DEG),
  ];
}

/** The box to fetch zones for: the device's grid cell and its eight neighbours. */
export function zoneFetchBox(point: LonLat): BBox {
  return gridBox(point, 1);
}

/** The device's own grid cell: while it stays inside, the loaded zones cover a cell around it. */
export function homeCell(point: LonLat): BBox {
  return gridBox(point, 0);
}

export function sameBox(a: BBox, b: BBox): boolean {
  return a.every((value, index) => Math.abs(value - (b[index] ?? NaN)) < 1e-9);
}

/** Fetch zones again: none yet, the device moved to another grid cell, or they are old. */
export function needsZoneRefresh(
  zones: ZoneSet | null,
  point: LonLat,
  nowMs: number,
  maxAgeMs: number,
): boolean {
  if (!zones) return true;
  if (!sameBox(zones.loadedBox, zoneFetchBox(point))) return true;
  return nowMs - zones.fetchedAtMs > maxAgeMs;
}

/** Metres from a point to the edge of a zone's circle (0 inside it). */
function edgeDistanceM(zone: Zone, point: LonLat): number {
  return Math.max(0, distanceM(point, zone.circle.center) - zone.circle.radiusM);
}

function zoneRegion(zone: Zone): MonitoredRegion {
  return {
    identifier: ZONE_REGION_PREFIX + zone.id,
    latitude: zone.circle.center[1],
    longitude: zone.circle.center[0],
    radius: Math.round(zone.circle.radiusM),
    notifyOnEnter: true,
    notifyOnExit: true,
  };
}

/**
 * The nearest alert zones, at most the platform's limit less one (the refresh region takes a
 * slot: the limit counts every region of the app), and a refresh circle around the device no
 * larger than the distance to the nearest zone left out or to the edge of its grid cell: the
 * device cannot reach either without leaving it, and on that exit the app chooses again.
 */
export function selectRegions(zones: ZoneSet, point: LonLat, platform: Platform): RegionSelection {
  const maxZones = OS_REGION_LIMIT[platform] - 1;
  const ranked = zones.zones
    .filter((zone) => zone.level === "alert")
    .map((zone) => ({ zone, edgeM: edgeDistanceM(zone, point) }))
    .sort((a, b) => a.edgeM - b.edgeM || a.zone.id.localeCompare(b.zone.id));
  const chosen = ranked.slice(0, maxZones);
  const nearestLeftOutM = ranked[maxZones]?.edgeM ?? Infinity;
  const cellEdgeM = distanceToBoxEdgeM(homeCell(point), point);
  const radius = Math.max(MIN_REFRESH_RADIUS_M, Math.min(nearestLeftOutM, cellEdgeM));
  return {
    zoneRegions: chosen.map(({ zone }) => zoneRegion(zone)),
    refreshRegion: {
      identifier: REFRESH_REGION_ID,
      latitude: point[1],
      longitude: point[0],
      radius: Math.round(radius),
      notifyOnEnter: false,
      notifyOnExit: true,
    },
  };
}

/**
 * Precise (continuous) positions are needed while the device is inside a zone's circle, where
 * the polygon decides, and while an alert is active, until it clears; nowhere else.
 */
export function preciseTrackingNeeded(
  activeZoneId: string | null,
  insideRegionIds: readonly string[],
): boolean {
  return activeZoneId !== null || insideRegionIds.some((id) => id.startsWith(ZONE_REGION_PREFIX));
}
