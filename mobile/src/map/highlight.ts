/**
 * What the map draws for a selected incident, with the precision its source gives: a point
 * only for point support; a place's area (or a circle of its radius); a district's polygon.
 * Never a pin for a vague location.
 */
import type { Feature, Geometry, Polygon } from "geojson";
import type { Incident } from "../api/incidents";
import type { LonLat } from "../geo/geometry";

export interface Highlight {
  /** A polygon area, or a point (exact events only). */
  geometry: Geometry;
  kind: "point" | "area";
}

const EARTH_RADIUS_M = 6_371_008.8;

/** A circle as a 64-sided polygon (for a place known as a point and a radius). */
export function circlePolygon(centre: LonLat, radiusM: number, sides = 64): Polygon {
  const [lon, lat] = centre;
  const dLat = (radiusM / EARTH_RADIUS_M) * (180 / Math.PI);
  const dLon = dLat / Math.cos((lat * Math.PI) / 180);
  const ring: [number, number][] = [];
  for (let i = 0; i <= sides; i++) {
    const angle = (2 * Math.PI * (i % sides)) / sides;
    ring.push([lon + dLon * Math.cos(angle), lat + dLat * Math.sin(angle)]);
  }
  return { type: "Polygon", coordinates: [ring] };
}

/** The minimum radius drawn for a place given only as a point (a street corner, a square). */
export const PLACE_MIN_RADIUS_M = 150;

/**
 * The highlight of an incident whose geometry is known (the detail answer always has it);
 * `districtGeometry` is used for district support when the incident has none.
 */
export function highlightOf(
  incident: Incident,
  districtGeometry: Geometry | null = null,
): Highlight | null {
  const { support, geometry, radius_m: radius } = incident.location;
  if (support === "point") return geometry ? { geometry, kind: "point" } : null;
  const area = geometry ?? (support === "district" ? districtGeometry : null);
  if (!area) return null;
  if (area.type === "Point") {
    // A place or larger known only by its centre: draw its extent, never a pin.
    const centre: LonLat = [area.coordinates[0] ?? 0, area.coordinates[1] ?? 0];
    return {
      geometry: circlePolygon(centre, Math.max(radius ?? 0, PLACE_MIN_RADIUS_M)),
      kind: "area",
    };
  }
  return { geometry: area, kind: "area" };
}

/** Every coordinate of a geometry, for the camera's bounds. */
export function boundsOf(geometry: Geometry): [number, number, number, number] | null {
  let box: [number, number, number, number] | null = null;
  const visit = (value: unknown): void => {
    if (!Array.isArray(value)) return;
    if (typeof value[0] === "number" && typeof value[1] === "number") {
      const [x, y] = value as [number, number];
      box = box
        ? [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x), Math.max(box[3], y)]
        : [x, y, x, y];
      return;
    }
    for (const inner of value) visit(inner);
  };
  if (geometry.type === "GeometryCollection") {
    for (const part of geometry.geometries) {
      const inner = boundsOf(part);
      if (inner) visit([inner.slice(0, 2), inner.slice(2)]);
    }
  } else {
    visit(geometry.coordinates);
  }
  return box;
}

export function highlightFeature(highlight: Highlight): Feature {
  return { type: "Feature", properties: { kind: highlight.kind }, geometry: highlight.geometry };
}
