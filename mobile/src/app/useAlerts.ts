/**
 * Alerts while the app is open: the position watch feeds the geofence service (on the phone
 * the background tasks do the same while it is closed), entering a zone shows the banner,
 * "Mute 1 h" (banner or notification action) mutes. Also the user's position for the map.
 */
import { useCallback, useEffect, useState } from "react";
import type { LonLat } from "../geo/geometry";
import { alertMessage } from "../geofence/alertMessage";
import type { GeofenceEvent } from "../geofence/alertStateMachine";
import { foregroundPermissionGranted, watchPosition } from "../platform/location";
import { onMuteAction, setUpNotifications } from "../platform/notifications";
import { expose } from "./debugHandle";
import { services } from "./services";

export interface AlertsView {
  userPosition: LonLat | null;
  /** True while the device is inside an alert area (until it clears below 0.5). */
  active: boolean;
  bannerMessage: string | null;
  mutedUntilMs: number | null;
  mute: () => void;
  dismiss: () => void;
}

export function useAlerts(alertsEnabled: boolean, locationAllowed: boolean): AlertsView {
  const { geofence } = services();
  const [userPosition, setUserPosition] = useState<LonLat | null>(null);
  const [active, setActive] = useState(false);
  const [bannerMessage, setBannerMessage] = useState<string | null>(null);
  const [mutedUntilMs, setMutedUntilMs] = useState<number | null>(null);
  const [notified, setNotified] = useState<GeofenceEvent[]>([]);

  useEffect(() => {
    expose("alerts", () => notified);
    expose("geofence", () => geofence.snapshot());
    expose("position", () => userPosition);
  }, [geofence, notified, userPosition]);

  useEffect(() => {
    if (!alertsEnabled) return;
    void setUpNotifications();
    const stopMuteAction = onMuteAction(() => void geofence.mute());
    const stopEvents = geofence.subscribe((event) => {
      if (event.kind === "cleared") {
        setActive(false);
        setBannerMessage(null);
        return;
      }
      setActive(true);
      if (event.notify) {
        setNotified((previous) => [...previous, event]);
        setBannerMessage(alertMessage(event.zone.threatLevel).body);
      }
    });
    return () => {
      stopMuteAction();
      stopEvents();
    };
  }, [alertsEnabled, geofence]);

  useEffect(() => {
    let stop: (() => void) | null = null;
    let cancelled = false;
    const start = async () => {
      if (!locationAllowed && !(await foregroundPermissionGranted())) return;
      let first = true;
      const unsubscribe = await watchPosition((fix) => {
        setUserPosition(fix.point);
        // The first fix of a session re-registers the OS regions (lost on reboot or update).
        if (alertsEnabled) void geofence.handleFix(fix, first);
        first = false;
      });
      if (cancelled) unsubscribe();
      else stop = unsubscribe;
    };
    void start();
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [alertsEnabled, locationAllowed, geofence]);

  const mute = useCallback(() => {
    void geofence
      .mute()
      .then(async () => setMutedUntilMs((await geofence.snapshot()).state.mutedUntilMs));
  }, [geofence]);

  return {
    userPosition,
    active,
    bannerMessage,
    mutedUntilMs,
    mute,
    dismiss: () => setBannerMessage(null),
  };
}
