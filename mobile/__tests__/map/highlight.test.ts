import { boundsOf, circlePolygon, highlightOf } from "../../src/map/highlight";
import { distanceM } from "../../src/geo/geometry";
import {
  ASSAULT_IN_A_DISTRICT,
  ROBBERY_AT_A_PLACE,
  SODERMALM_OUTLINE,
  THEFT_AT_A_POINT,
} from "../support/incidentsFixture";

test("only an exactly located event gets a point", () => {
  expect(highlightOf(THEFT_AT_A_POINT)).toEqual({
    kind: "point",
    geometry: THEFT_AT_A_POINT.location.geometry,
  });
});

test("a place known by its centre is drawn as its area, never a pin", () => {
  const highlight = highlightOf(ROBBERY_AT_A_PLACE);
  expect(highlight?.kind).toBe("area");
  expect(highlight?.geometry.type).toBe("Polygon");
  const ring = (highlight!.geometry as GeoJSON.Polygon).coordinates[0]!;
  const centre = [18.0649, 59.3326] as const;
  for (const [lon, lat] of ring) {
    // The place's radius (120 m) is below the drawn minimum (150 m).
    expect(distanceM(centre, [lon!, lat!])).toBeCloseTo(150, -1);
  }
});

test("a district-level event highlights the district polygon", () => {
  // The list gives no geometry for district support: the district's outline is used.
  expect(highlightOf(ASSAULT_IN_A_DISTRICT)).toBeNull();
  expect(highlightOf(ASSAULT_IN_A_DISTRICT, SODERMALM_OUTLINE)).toEqual({
    kind: "area",
    geometry: SODERMALM_OUTLINE,
  });
  // The detail answer carries the (simplified) polygon itself.
  const detail = {
    ...ASSAULT_IN_A_DISTRICT,
    location: { ...ASSAULT_IN_A_DISTRICT.location, geometry: SODERMALM_OUTLINE },
  };
  expect(highlightOf(detail)?.geometry).toBe(SODERMALM_OUTLINE);
  expect(boundsOf(SODERMALM_OUTLINE)).toEqual([18.03, 59.31, 18.1, 59.325]);
});

test("a circle polygon is closed", () => {
  const ring = circlePolygon([18, 59], 500).coordinates[0]!;
  expect(ring[0]).toEqual(ring[ring.length - 1]);
});
