/**
 * Which city a point is in: the one whose study area (bbox) holds it, the smallest when boxes
 * overlap (a city inside a wider region), none outside every box. Boxes only, no outlines:
 * enough to pick emergency numbers, which differ between countries, not between streets.
 */
import type { BBox, LonLat } from "./geometry";

/** West greater than east is a box across the antimeridian (180°). */
function boxHolds(box: BBox, [lon, lat]: LonLat): boolean {
  const [west, south, east, north] = box;
  if (lat < south || lat > north) return false;
  return west <= east ? west <= lon && lon <= east : lon >= west || lon <= east;
}

/** Square degrees; only compared between boxes that hold the same point. */
function boxArea([west, south, east, north]: BBox): number {
  const width = west <= east ? east - west : east - west + 360;
  return width * (north - south);
}

/** The city whose box holds the point, the smallest if several (the first of equals); or null. */
export function cityAt<T extends { bbox: BBox | null }>(
  cities: readonly T[],
  point: LonLat,
): T | null {
  let best: T | null = null;
  let bestArea = Infinity;
  for (const city of cities) {
    if (city.bbox === null || !boxHolds(city.bbox, point)) continue;
    const area = boxArea(city.bbox);
    if (area < bestArea) {
      best = city;
      bestArea = area;
    }
  }
  return best;
}
