/**
 * The app's long-lived objects, built once per JavaScript context: the open app and the
 * background tasks (which may run without any screen) share them.
 */
import { randomUUID } from "expo-crypto";
import { MapApi } from "../api/mapApi";
import { ReportApi } from "../api/reports";
import { apiBaseUrl } from "../config/runtimeApiUrl";
import { deviceLocalClock } from "../geofence/alertPolicy";
import { GeofenceService } from "../geofence/geofenceService";
import { Outbox } from "../outbox/outbox";
import { devicePlatform, regionMonitor } from "../platform/geofencing";
import { notifier } from "../platform/notifications";
import { deletePhoto, photoPart } from "../platform/photos";
import { loadAlertSettings, policyFor } from "../settings/alertSettings";
import { asyncStorageStore } from "../storage/asyncStorageStore";

export interface Services {
  mapApi: MapApi;
  outbox: Outbox;
  geofence: GeofenceService;
}

let built: Services | null = null;

export function services(): Services {
  if (built) return built;
  const store = asyncStorageStore;
  const mapApi = new MapApi(apiBaseUrl());
  const outbox = new Outbox({
    store,
    sender: new ReportApi(apiBaseUrl, photoPart),
    newKey: randomUUID,
    onSettled: async (item) => {
      if (item.draft.photo) await deletePhoto(item.draft.photo);
    },
  });
  const geofence = new GeofenceService({
    store,
    zoneSource: mapApi,
    notifier,
    regionMonitor,
    platform: devicePlatform,
    policy: async () => policyFor(await loadAlertSettings(store)),
    clock: deviceLocalClock,
    nowMs: Date.now,
  });
  built = { mapApi, outbox, geofence };
  return built;
}
