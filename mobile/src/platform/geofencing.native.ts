/**
 * The OS side of geofencing on a phone: circular regions (expo-location's geofencing) and,
 * while near or in a zone, continuous updates, both delivered to background tasks
 * (expo-task-manager) that feed the same geofence service as the open app. The tasks are
 * defined at start-up (index.ts), as the OS may launch the app just to run them.
 */
import * as Location from "expo-location";
import * as TaskManager from "expo-task-manager";
import type { RegionMonitor } from "../geofence/geofenceService";
import type { Platform } from "../geofence/regions";
import type { PositionFix } from "../geofence/alertStateMachine";
import { currentFix, fixOf } from "./location";
import { Platform as RNPlatform } from "react-native";

export const GEOFENCE_TASK = "halo-geofence";
export const PRECISE_LOCATION_TASK = "halo-precise-location";

export const devicePlatform: Platform = RNPlatform.OS === "ios" ? "ios" : "android";

interface GeofenceTaskData {
  eventType: Location.GeofencingEventType;
  region: Location.LocationRegion;
}

export interface BackgroundHandlers {
  onRegion(regionId: string, entered: boolean, fix: PositionFix | null): Promise<unknown>;
  onFix(fix: PositionFix): Promise<unknown>;
}

export function defineBackgroundTasks(handlers: () => BackgroundHandlers): void {
  TaskManager.defineTask<GeofenceTaskData>(GEOFENCE_TASK, async ({ data, error }) => {
    if (error || !data?.region.identifier) return;
    const entered = data.eventType === Location.GeofencingEventType.Enter;
    await handlers().onRegion(data.region.identifier, entered, await currentFix());
  });
  TaskManager.defineTask<{ locations: Location.LocationObject[] }>(
    PRECISE_LOCATION_TASK,
    async ({ data, error }) => {
      if (error || !data) return;
      for (const location of data.locations) await handlers().onFix(fixOf(location));
    },
  );
}

export async function backgroundPermissionGranted(): Promise<boolean> {
  try {
    return (await Location.getBackgroundPermissionsAsync()).granted;
  } catch {
    return false;
  }
}

/** Asked only after the explanation screen, and only once foreground permission is given. */
export async function requestBackgroundPermission(): Promise<boolean> {
  try {
    return (await Location.requestBackgroundPermissionsAsync()).granted;
  } catch {
    return false;
  }
}

export const regionMonitor: RegionMonitor | null = {
  async monitor(selection) {
    if (!(await backgroundPermissionGranted())) return;
    await Location.startGeofencingAsync(GEOFENCE_TASK, [
      ...selection.zoneRegions,
      selection.refreshRegion,
    ]);
  },
  async setPreciseTracking(enabled) {
    if (!(await backgroundPermissionGranted())) return;
    const running = await Location.hasStartedLocationUpdatesAsync(PRECISE_LOCATION_TASK);
    if (enabled && !running) {
      await Location.startLocationUpdatesAsync(PRECISE_LOCATION_TASK, {
        accuracy: Location.Accuracy.High,
        distanceInterval: 20,
        pausesUpdatesAutomatically: true,
        activityType: Location.ActivityType.Fitness,
        showsBackgroundLocationIndicator: true,
        // Android requires a visible notification while the app tracks in the background.
        foregroundService: {
          notificationTitle: "Halo alerts",
          notificationBody: "Checking on this phone whether you are near a zone.",
        },
      });
    } else if (!enabled && running) {
      await Location.stopLocationUpdatesAsync(PRECISE_LOCATION_TASK);
    }
  },
};

export async function stopBackgroundGeofencing(): Promise<void> {
  if (await Location.hasStartedGeofencingAsync(GEOFENCE_TASK)) {
    await Location.stopGeofencingAsync(GEOFENCE_TASK);
  }
  if (await Location.hasStartedLocationUpdatesAsync(PRECISE_LOCATION_TASK)) {
    await Location.stopLocationUpdatesAsync(PRECISE_LOCATION_TASK);
  }
}
