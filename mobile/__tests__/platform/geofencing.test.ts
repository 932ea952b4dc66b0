import * as Location from "expo-location";
import * as TaskManager from "expo-task-manager";
import { selectRegions } from "../../src/geofence/regions";
import {
  GEOFENCE_TASK,
  PRECISE_LOCATION_TASK,
  defineBackgroundTasks,
  regionMonitor,
} from "../../src/platform/geofencing";
import { ORIGIN, hotSpotZones } from "../support/zonesFixture";

jest.mock("expo-location", () => ({
  Accuracy: { High: 4 },
  ActivityType: { Fitness: 3 },
  GeofencingEventType: { Enter: 1, Exit: 2 },
  getBackgroundPermissionsAsync: jest.fn(async () => ({ granted: true })),
  startGeofencingAsync: jest.fn(async () => undefined),
  hasStartedLocationUpdatesAsync: jest.fn(async () => false),
  startLocationUpdatesAsync: jest.fn(async () => undefined),
  stopLocationUpdatesAsync: jest.fn(async () => undefined),
  getCurrentPositionAsync: jest.fn(async () => ({
    coords: { longitude: 18.062, latitude: 59.331, accuracy: 8 },
    timestamp: 1_000,
  })),
}));
jest.mock("expo-task-manager", () => ({ defineTask: jest.fn() }));
const location = jest.mocked(Location);

beforeEach(() => jest.clearAllMocks());

test("the selected zones and the refresh region are handed to the OS in one call", async () => {
  const selection = selectRegions(hotSpotZones(), ORIGIN, "ios");
  await regionMonitor!.monitor(selection);
  const [task, regions] = location.startGeofencingAsync.mock.calls[0]!;
  expect(task).toBe(GEOFENCE_TASK);
  expect(regions).toHaveLength(2);
  expect(regions!.at(-1)).toMatchObject({ identifier: "refresh", notifyOnExit: true });
});

test("without background permission nothing is registered", async () => {
  location.getBackgroundPermissionsAsync.mockResolvedValueOnce({ granted: false } as never);
  await regionMonitor!.monitor(selectRegions(hotSpotZones(), ORIGIN, "android"));
  expect(location.startGeofencingAsync).not.toHaveBeenCalled();
});

test("precise updates start near a zone and stop when no longer needed", async () => {
  await regionMonitor!.setPreciseTracking(true);
  expect(location.startLocationUpdatesAsync).toHaveBeenCalledWith(
    PRECISE_LOCATION_TASK,
    expect.objectContaining({ distanceInterval: 20 }),
  );
  location.hasStartedLocationUpdatesAsync.mockResolvedValueOnce(true);
  await regionMonitor!.setPreciseTracking(false);
  expect(location.stopLocationUpdatesAsync).toHaveBeenCalledWith(PRECISE_LOCATION_TASK);
});

test("a region crossing in the background takes a fix and hands both to the engine", async () => {
  const onRegion = jest.fn(async () => undefined);
  const onFix = jest.fn(async () => undefined);
  defineBackgroundTasks(() => ({ onRegion, onFix }));
  const tasks = Object.fromEntries(jest.mocked(TaskManager.defineTask).mock.calls);
  await tasks[GEOFENCE_TASK]!({
    data: { eventType: 1, region: { identifier: "zone:alert:18.0620,59.3310" } },
    error: null,
    executionInfo: {} as never,
  });
  expect(onRegion).toHaveBeenCalledWith("zone:alert:18.0620,59.3310", true, {
    point: [18.062, 59.331],
    accuracyM: 8,
    timestampMs: 1_000,
  });
  await tasks[PRECISE_LOCATION_TASK]!({
    data: {
      locations: [{ coords: { longitude: 18.07, latitude: 59.33, accuracy: 5 }, timestamp: 2_000 }],
    },
    error: null,
    executionInfo: {} as never,
  });
  expect(onFix).toHaveBeenCalledWith({ point: [18.07, 59.33], accuracyM: 5, timestampMs: 2_000 });
});
