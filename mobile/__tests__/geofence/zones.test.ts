import { alertZonesAt, insideClearZone, parseZones } from "../../src/geofence/zones";
import { zoneFetchBox } from "../../src/geofence/regions";
import { ORIGIN, offset, squareFeature, squareRing, zonesResponse } from "../support/zonesFixture";

test("polygons and multipolygons become zones with stable ids", () => {
  const east = offset(ORIGIN, 1000, 0);
  const multi = {
    type: "Feature" as const,
    properties: { level: "alert" as const, threshold: 0.6, area_km2: 0.1 },
    geometry: {
      type: "MultiPolygon" as const,
      coordinates: [[squareRing(east, 50)], [squareRing(offset(east, 300, 0), 50)]],
    },
  };
  const response = zonesResponse([squareFeature("alert", ORIGIN, 100), multi]);
  const first = parseZones(response, zoneFetchBox(ORIGIN), 0);
  const again = parseZones(response, zoneFetchBox(ORIGIN), 99);
  expect(first.zones).toHaveLength(2);
  expect(first.zones.map((zone) => zone.id)).toEqual(again.zones.map((zone) => zone.id));
  expect(alertZonesAt(first, offset(east, 300, 0))).toHaveLength(1);
  expect(alertZonesAt(first, offset(east, 150, 0))).toHaveLength(0);
  expect(first.generation).toBe(1);
});

test("a hole in a clear zone is outside it", () => {
  const feature = squareFeature("clear", ORIGIN, 300);
  (feature.geometry as { coordinates: unknown[] }).coordinates.push(squareRing(ORIGIN, 100));
  const zones = parseZones(zonesResponse([feature]), zoneFetchBox(ORIGIN), 0);
  expect(insideClearZone(zones, ORIGIN)).toBe(false);
  expect(insideClearZone(zones, offset(ORIGIN, 200, 0))).toBe(true);
});
