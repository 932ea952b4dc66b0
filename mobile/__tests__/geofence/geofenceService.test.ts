import type { ZoneFetchResult } from "../../src/api/mapApi";
import type { BBox } from "../../src/geo/geometry";
import { DEFAULT_POLICY, MINUTE_MS, deviceLocalClock } from "../../src/geofence/alertPolicy";
import {
  GeofenceService,
  type RegionMonitor,
  ZONE_MAX_AGE_MS,
} from "../../src/geofence/geofenceService";
import type { RegionSelection } from "../../src/geofence/regions";
import type { Zone } from "../../src/geofence/zones";
import { MemoryStore } from "../../src/storage/keyValueStore";
import { ORIGIN, offset, squareFeature, zonesResponse } from "../support/zonesFixture";

const NOON = Date.parse("2025-06-30T12:00:00Z");
const OUTSIDE = offset(ORIGIN, 600, 0);

class FakeZoneSource {
  readonly boxes: BBox[] = [];
  offline = false;
  generation = 1;

  async alertZones(box: BBox, etag: string | null): Promise<ZoneFetchResult> {
    this.boxes.push(box);
    if (this.offline) throw new Error("offline");
    if (etag === `"g${this.generation}"`) return { kind: "unchanged" };
    const features = [squareFeature("alert", ORIGIN, 100), squareFeature("clear", ORIGIN, 250)];
    return {
      kind: "fresh",
      response: zonesResponse(features, this.generation),
      etag: `"g${this.generation}"`,
    };
  }
}

class RecordingMonitor implements RegionMonitor {
  readonly selections: RegionSelection[] = [];
  precise: boolean[] = [];
  async monitor(selection: RegionSelection) {
    this.selections.push(selection);
  }
  async setPreciseTracking(enabled: boolean) {
    this.precise.push(enabled);
  }
}

function setup(store = new MemoryStore(), source = new FakeZoneSource()) {
  let now = NOON;
  const notified: Zone[] = [];
  const monitor = new RecordingMonitor();
  const service = new GeofenceService({
    store,
    zoneSource: source,
    notifier: { notify: async (zone) => void notified.push(zone) },
    regionMonitor: monitor,
    platform: "ios",
    policy: async () => DEFAULT_POLICY,
    clock: deviceLocalClock,
    nowMs: () => now,
  });
  const at = (point: readonly [number, number], minutes: number) => {
    now = NOON + minutes * MINUTE_MS;
    return service.handleFix({ point, accuracyM: 10, timestampMs: now });
  };
  return { service, store, source, notified, monitor, at };
}

test("a walk into a zone notifies once, with the zones fetched for a box, not a position", async () => {
  const { notified, source, at } = setup();
  await at(OUTSIDE, 0);
  for (let minute = 1; minute <= 5; minute++) await at(offset(ORIGIN, minute * 10, 0), minute);
  expect(notified).toHaveLength(1);
  expect(source.boxes).toHaveLength(1);
  const [box] = source.boxes;
  expect(box![2] - box![0]).toBeGreaterThan(0.2);
});

test("the alert state and its cooldown survive a restart", async () => {
  const first = setup();
  await first.at(ORIGIN, 0);
  await first.at(OUTSIDE, 1);
  const restarted = setup(first.store, first.source);
  await restarted.at(ORIGIN, 10);
  expect(first.notified).toHaveLength(1);
  expect(restarted.notified).toHaveLength(0);
});

test("offline, the zones already on the device keep working", async () => {
  const first = setup();
  await first.at(OUTSIDE, 0);
  first.source.offline = true;
  await first.at(ORIGIN, ZONE_MAX_AGE_MS / MINUTE_MS + 5);
  expect(first.notified).toHaveLength(1);
});

test("zones are re-validated with their ETag and replaced on a new generation", async () => {
  const { service, source, monitor, at } = setup();
  await at(OUTSIDE, 0);
  expect(monitor.selections).toHaveLength(1);
  await at(OUTSIDE, ZONE_MAX_AGE_MS / MINUTE_MS + 1);
  expect(monitor.selections).toHaveLength(1); // 304: same zones, same regions
  source.generation = 2;
  await at(OUTSIDE, (2 * ZONE_MAX_AGE_MS) / MINUTE_MS + 2);
  expect((await service.snapshot()).zones?.generation).toBe(2);
  expect(monitor.selections).toHaveLength(2);
});

test("the OS regions are the nearest zones plus the refresh region; precise tracking follows", async () => {
  const { service, monitor, at } = setup();
  await at(OUTSIDE, 0);
  expect(monitor.selections[0]!.zoneRegions).toHaveLength(1);
  expect(monitor.precise.at(-1)).toBe(false);
  const zoneRegion = monitor.selections[0]!.zoneRegions[0]!.identifier;
  await service.handleRegionEvent(zoneRegion, true, {
    point: ORIGIN,
    accuracyM: 10,
    timestampMs: NOON,
  });
  expect(monitor.precise.at(-1)).toBe(true);
  await service.handleRegionEvent(zoneRegion, false, {
    point: OUTSIDE,
    accuracyM: 10,
    timestampMs: NOON + 1,
  });
  expect(monitor.precise.at(-1)).toBe(false);
});

test("mute silences the next entry", async () => {
  const { service, notified, at } = setup();
  await at(OUTSIDE, 0);
  await service.mute();
  await at(ORIGIN, 1);
  expect(notified).toHaveLength(0);
});

test("listeners hear every event, suppressed ones too", async () => {
  const { service, at } = setup();
  const kinds: string[] = [];
  service.subscribe((event) => kinds.push(event.kind));
  await at(ORIGIN, 0);
  await at(OUTSIDE, 1);
  await at(ORIGIN, 2);
  expect(kinds).toEqual(["entered", "cleared", "entered"]);
});
