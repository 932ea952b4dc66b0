import { distanceM } from "../../src/geo/geometry";
import {
  MIN_REFRESH_RADIUS_M,
  REFRESH_REGION_ID,
  homeCell,
  needsZoneRefresh,
  preciseTrackingNeeded,
  selectRegions,
  zoneFetchBox,
} from "../../src/geofence/regions";
import { parseZones } from "../../src/geofence/zones";
import { ORIGIN, offset, squareFeature, zonesResponse } from "../support/zonesFixture";

/** `count` small alert zones on a line eastwards, 150 m apart, plus one big clear zone. */
function zonesInARow(count: number) {
  const features = Array.from({ length: count }, (_, i) =>
    squareFeature("alert", offset(ORIGIN, 300 + i * 150, 0), 40),
  );
  features.push(squareFeature("clear", ORIGIN, 3000));
  return parseZones(zonesResponse(features), zoneFetchBox(ORIGIN), 0);
}

const eastOf = (region: { longitude: number }) => region.longitude;

describe("region selection", () => {
  test("iOS: the 19 nearest alert zones and one refresh region, 20 in all", () => {
    const selection = selectRegions(zonesInARow(30), ORIGIN, "ios");
    expect(selection.zoneRegions).toHaveLength(19);
    expect(selection.zoneRegions.length + 1).toBe(20);
    const chosen = selection.zoneRegions.map(eastOf);
    const all = zonesInARow(30)
      .zones.filter((z) => z.level === "alert")
      .map((z) => z.circle.center[0]);
    expect(Math.max(...chosen)).toBeLessThan(all.sort((a, b) => a - b)[19]! + 1e-9);
  });

  test("Android: the 99 nearest alert zones and one refresh region, 100 in all", () => {
    const selection = selectRegions(zonesInARow(150), ORIGIN, "android");
    expect(selection.zoneRegions).toHaveLength(99);
    expect(selection.refreshRegion.identifier).toBe(REFRESH_REGION_ID);
  });

  test("clear zones are never handed to the OS", () => {
    const selection = selectRegions(zonesInARow(3), ORIGIN, "ios");
    expect(selection.zoneRegions).toHaveLength(3);
    expect(
      selection.zoneRegions.every((region) => region.identifier.startsWith("zone:alert:")),
    ).toBe(true);
  });

  test("the refresh region ends before the nearest zone left out can be reached", () => {
    const zones = zonesInARow(30);
    const selection = selectRegions(zones, ORIGIN, "ios");
    const chosen = new Set(selection.zoneRegions.map((region) => region.identifier));
    const leftOut = zones.zones.filter((z) => z.level === "alert" && !chosen.has(`zone:${z.id}`));
    const nearestLeftOut = Math.min(
      ...leftOut.map((z) => distanceM(ORIGIN, z.circle.center) - z.circle.radiusM),
    );
    const { refreshRegion } = selection;
    expect([refreshRegion.longitude, refreshRegion.latitude]).toEqual([...ORIGIN]);
    expect(refreshRegion.radius).toBeLessThanOrEqual(Math.ceil(nearestLeftOut));
    expect(refreshRegion.radius).toBeGreaterThanOrEqual(MIN_REFRESH_RADIUS_M);
    expect(refreshRegion).toMatchObject({ notifyOnEnter: false, notifyOnExit: true });
  });

  test("with every zone registered, the refresh region ends at the edge of the device's grid cell", () => {
    const selection = selectRegions(zonesInARow(2), ORIGIN, "android");
    const cell = homeCell(ORIGIN);
    const toEdge = Math.min(
      distanceM(ORIGIN, [cell[0], ORIGIN[1]]),
      distanceM(ORIGIN, [cell[2], ORIGIN[1]]),
      distanceM(ORIGIN, [ORIGIN[0], cell[1]]),
      distanceM(ORIGIN, [ORIGIN[0], cell[3]]),
    );
    expect(selection.refreshRegion.radius).toBe(Math.round(Math.max(MIN_REFRESH_RADIUS_M, toEdge)));
  });

  test("zone regions enclose their polygon and are at least 100 m", () => {
    const selection = selectRegions(zonesInARow(1), ORIGIN, "ios");
    const region = selection.zoneRegions[0]!;
    // A 80 m square: half-diagonal ~57 m, so the 100 m floor applies.
    expect(region.radius).toBe(100);
    expect(region).toMatchObject({ notifyOnEnter: true, notifyOnExit: true });
  });
});

describe("zone fetch box and refresh", () => {
  test("the box is grid-aligned: every point of a cell asks for the same box", () => {
    const box = zoneFetchBox(ORIGIN);
    expect(zoneFetchBox(offset(ORIGIN, 50, 30))).toEqual(box);
    expect(box[0]).toBeLessThan(ORIGIN[0]);
    expect(box[3]).toBeGreaterThan(ORIGIN[1]);
    expect(box[2] - box[0]).toBeLessThanOrEqual(1);
    expect(box[3] - box[1]).toBeLessThanOrEqual(1);
    // The device's own cell has a neighbour cell on every side inside the box.
    const cell = homeCell(ORIGIN);
    expect(cell[0] - box[0]).toBeGreaterThan(0.05);
    expect(box[3] - cell[3]).toBeGreaterThan(0.02);
  });

  test("zones are fetched again when missing, stale or for another cell", () => {
    const zones = parseZones(zonesResponse([]), zoneFetchBox(ORIGIN), 1_000);
    expect(needsZoneRefresh(null, ORIGIN, 1_000, 10_000)).toBe(true);
    expect(needsZoneRefresh(zones, ORIGIN, 5_000, 10_000)).toBe(false);
    expect(needsZoneRefresh(zones, ORIGIN, 20_000, 10_000)).toBe(true);
    expect(needsZoneRefresh(zones, offset(ORIGIN, 8_000, 0), 5_000, 10_000)).toBe(true);
  });
});

test("precise tracking runs inside a zone's circle or while an alert is active, nowhere else", () => {
  expect(preciseTrackingNeeded(null, [])).toBe(false);
  expect(preciseTrackingNeeded(null, ["refresh"])).toBe(false);
  expect(preciseTrackingNeeded(null, ["zone:alert:18.0620,59.3310"])).toBe(true);
  expect(preciseTrackingNeeded("alert:18.0620,59.3310", [])).toBe(true);
});
