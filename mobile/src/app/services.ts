/**
 * The app's long-lived objects, built once per JavaScript context: the open app and the
 * background tasks (which may run without any screen) share them.
 */
import { randomUUID } from "expo-crypto";
import { DevicesApi } from "../api/devices";
import { IncidentsApi } from "../api/incidents";
import { MapApi } from "../api/mapApi";
import { ReportApi } from "../api/reports";
import { apiBaseUrl } from "../config/runtimeApiUrl";
import { deviceLocalClock } from "../geofence/alertPolicy";
import { GeofenceService } from "../geofence/geofenceService";
import { Outbox } from "../outbox/outbox";
import { devicePlatform, regionMonitor } from "../platform/geofencing";
import { notifier } from "../platform/notifications";
import { deletePhoto, photoPart } from "../platform/photos";
import { pushTokens } from "../platform/pushTokens";
import { deleteVideo, videoPart } from "../platform/videos";
import { PushRegistration } from "../push/pushRegistration";
import { getLanguage } from "../i18n/language";
import { loadAlertSettings, policyFor } from "../settings/alertSettings";
import { asyncStorageStore } from "../storage/asyncStorageStore";

export interface Services {
  mapApi: MapApi;
  outbox: Outbox;
  geofence: GeofenceService;
  incidents: IncidentsApi;
  push: PushRegistration;
}

let built: Services | null = null;

export function services(): Services {
  if (built) return built;
  const store = asyncStorageStore;
  const mapApi = new MapApi(apiBaseUrl());
  const outbox = new Outbox({
    store,
    sender: new ReportApi(apiBaseUrl, photoPart, undefined, videoPart),
    newKey: randomUUID,
    onSettled: async (item) => {
      if (item.draft.photo) await deletePhoto(item.draft.photo);
      if (item.draft.video) await deleteVideo(item.draft.video);
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
  const incidents = new IncidentsApi(apiBaseUrl());
  const push = new PushRegistration({
    store,
    api: new DevicesApi(apiBaseUrl()),
    tokens: pushTokens,
    language: getLanguage,
  });
  built = { mapApi, outbox, geofence, incidents, push };
  return built;
}
