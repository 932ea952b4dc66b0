/**
 * The web build has no system notifications for Halo: alerts show as the in-app banner
 * (the geofence service's listeners), which is what the browser test watches.
 */
import type { AlertNotifier } from "../geofence/geofenceService";

export async function setUpNotifications(): Promise<void> {}

export async function requestNotificationPermission(): Promise<boolean> {
  return true;
}

export const notifier: AlertNotifier = {
  async notify() {},
};

export function onMuteAction(_onMute: () => void): () => void {
  return () => undefined;
}

// The web build offers what the phone build offers (checked by tsc, erased at run time).
import type * as PhoneBuild from "./notifications.native";
({
  setUpNotifications,
  requestNotificationPermission,
  notifier,
  onMuteAction,
}) satisfies typeof PhoneBuild;
