/**
 * The web build has no background geofencing: the open page's position watch feeds the
 * geofence service, and nothing is registered with an OS.
 */
import type { BackgroundHandlers } from "./geofencing.native";
import type { RegionMonitor } from "../geofence/geofenceService";
import type { Platform } from "../geofence/regions";

export const GEOFENCE_TASK = "halo-geofence";
export const PRECISE_LOCATION_TASK = "halo-precise-location";
export const devicePlatform: Platform = "web";

export function defineBackgroundTasks(_handlers: () => BackgroundHandlers): void {}

export async function backgroundPermissionGranted(): Promise<boolean> {
  return false;
}

export async function requestBackgroundPermission(): Promise<boolean> {
  return false;
}

export const regionMonitor: RegionMonitor | null = null;

export async function stopBackgroundGeofencing(): Promise<void> {}

// The web build offers what the phone build offers (checked by tsc, erased at run time).
import type * as PhoneBuild from "./geofencing.native";
({
  GEOFENCE_TASK,
  PRECISE_LOCATION_TASK,
  devicePlatform,
  defineBackgroundTasks,
  backgroundPermissionGranted,
  requestBackgroundPermission,
  regionMonitor,
  stopBackgroundGeofencing,
}) satisfies typeof PhoneBuild;
