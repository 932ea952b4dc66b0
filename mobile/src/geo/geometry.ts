/**
 * Plane and sphere geometry for geofencing on the device: point in polygon, distances,
 * boxes and enclosing circles. Coordinates are WGS 84 [lon, lat], as in GeoJSON.
 */

export type LonLat = readonly [lon: number, lat: number];
/** A closed ring: first and last positions equal, as GeoJSON writes them. */
export type Ring = readonly LonLat[];
/** An outer ring followed by its holes. */
export type PolygonRings = readonly Ring[];
export type BBox = readonly [minLon: number, minLat: number, maxLon: number, maxLat: number];

export interface Circle {
  center: LonLat;
  radiusM: number;
}

const EARTH_RADIUS_M = 6_371_008.8;
const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/** Great-circle distance in metres (haversine): exact enough at city scale. */
export function distanceM(a: LonLat, b: LonLat): number {
  const dLat = toRadians(b[1] - a[1]);
  const dLon = toRadians(b[0] - a[0]);
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(toRadians(a[1])) * Math.cos(toRadians(b[1])) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Ray casting on one ring; points exactly on an edge may fall either way. */
function ringContains(ring: Ring, point: LonLat): boolean {
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as LonLat;
    const [xj, yj] = ring[j] as LonLat;
    const crosses = yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi;
    if (crosses) inside = !inside;
  }
  return inside;
}

/** Inside the outer ring and outside every hole. */
export function polygonContains(rings: PolygonRings, point: LonLat): boolean {
  const [outer, ...holes] = rings;
  if (!outer || !ringContains(outer, point)) return false;
  return !holes.some((hole) => ringContains(hole, point));
}

export function bboxOfPolygons(polygons: readonly PolygonRings[]): BBox {
  let minLon = Infinity;
  let minLat = Infinity;
  let maxLon = -Infinity;
  let maxLat = -Infinity;
  for (const rings of polygons) {
    for (const [lon, lat] of rings[0] ?? []) {
      minLon = Math.min(minLon, lon);
      minLat = Math.min(minLat, lat);
      maxLon = Math.max(maxLon, lon);
      maxLat = Math.max(maxLat, lat);
    }
  }
  return [minLon, minLat, maxLon, maxLat];
}

export function bboxContains(box: BBox, point: LonLat): boolean {
  return box[0] <= point[0] && point[0] <= box[2] && box[1] <= point[1] && point[1] <= box[3];
}

/** A circle holding every outer vertex: centred on the box, radius to the farthest vertex. */
export function enclosingCircle(polygons: readonly PolygonRings[], minRadiusM = 0): Circle {
  const box = bboxOfPolygons(polygons);
  const center: LonLat = [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
  let radiusM = minRadiusM;
  for (const rings of polygons) {
    for (const vertex of rings[0] ?? []) radiusM = Math.max(radiusM, distanceM(center, vertex));
  }
  return { center, radiusM };
}

/** Metres from a point to the nearest edge of a box the point is inside (0 outside it). */
export function distanceToBoxEdgeM(box: BBox, point: LonLat): number {
  if (!bboxContains(box, point)) return 0;
  const [lon, lat] = point;
  return Math.min(
    distanceM(point, [box[0], lat]),
    distanceM(point, [box[2], lat]),
    distanceM(point, [lon, box[1]]),
    distanceM(point, [lon, box[3]]),
  );
}
