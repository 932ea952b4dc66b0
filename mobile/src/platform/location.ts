/**
 * Foreground positions (expo-location; the browser's geolocation on the web) and permission
 * requests. Background permission is asked only from the alerts explanation screen.
 */
import * as Location from "expo-location";
import type { PositionFix } from "../geofence/alertStateMachine";

export function fixOf(location: Location.LocationObject): PositionFix {
  return {
    point: [location.coords.longitude, location.coords.latitude],
    accuracyM: location.coords.accuracy ?? null,
    timestampMs: location.timestamp,
  };
}

export async function foregroundPermissionGranted(): Promise<boolean> {
  try {
    return (await Location.getForegroundPermissionsAsync()).granted;
  } catch {
    return false;
  }
}

export async function requestForegroundPermission(): Promise<boolean> {
  try {
    return (await Location.requestForegroundPermissionsAsync()).granted;
  } catch {
    return false;
  }
}

/** Every new position, for the map's dot and the alert engine while the app is open. */
export async function watchPosition(listener: (fix: PositionFix) => void): Promise<() => void> {
  const subscription = await Location.watchPositionAsync(
    { accuracy: Location.Accuracy.High, distanceInterval: 10, timeInterval: 5_000 },
    (location) => listener(fixOf(location)),
  );
  return () => subscription.remove();
}

/** One position now (a region event in the background needs it to decide). */
export async function currentFix(): Promise<PositionFix | null> {
  try {
    return fixOf(await Location.getCurrentPositionAsync({ accuracy: Location.Accuracy.High }));
  } catch {
    return null;
  }
}
