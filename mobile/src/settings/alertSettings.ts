/** The user's alert choices, kept on the device, and the alert policy they give. */
import { type AlertPolicy, DEFAULT_POLICY, DEFAULT_QUIET_HOURS } from "../geofence/alertPolicy";
import { type KeyValueStore, readJson, writeJson } from "../storage/keyValueStore";

export interface AlertSettings {
  /** Off until the user has read the explanation and said yes. */
  alertsEnabled: boolean;
  quietHoursEnabled: boolean;
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = {
  alertsEnabled: false,
  quietHoursEnabled: false,
};
export const ALERT_SETTINGS_KEY = "halo.settings.alerts.v1";

export async function loadAlertSettings(store: KeyValueStore): Promise<AlertSettings> {
  return { ...DEFAULT_ALERT_SETTINGS, ...(await readJson(store, ALERT_SETTINGS_KEY, {})) };
}

export function saveAlertSettings(store: KeyValueStore, settings: AlertSettings): Promise<void> {
  return writeJson(store, ALERT_SETTINGS_KEY, settings);
}

export function policyFor(settings: AlertSettings): AlertPolicy {
  return { ...DEFAULT_POLICY, quietHours: settings.quietHoursEnabled ? DEFAULT_QUIET_HOURS : null };
}
