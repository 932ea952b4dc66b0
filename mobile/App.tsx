/**
 * Halo: the risk map, alerts checked on the phone, and incident reports that wait for the
 * network. Three screens, switched here; the long-lived state lives in src/app/services.ts.
 */
import { StatusBar } from "expo-status-bar";
import { useEffect, useRef, useState } from "react";
import { StyleSheet } from "react-native";
import { SafeAreaProvider, SafeAreaView } from "react-native-safe-area-context";
import { services } from "./src/app/services";
import { useAlerts } from "./src/app/useAlerts";
import { useCities } from "./src/app/useCities";
import { CurrentCityContext, useCityAt } from "./src/app/useCityAt";
import { useOutbox } from "./src/app/useOutbox";
import type { LonLat } from "./src/geo/geometry";
import { loadLanguage } from "./src/i18n/language";
import type { ReportDraft } from "./src/reports/reportDraft";
import {
  type AlertSettings,
  DEFAULT_ALERT_SETTINGS,
  loadAlertSettings,
  saveAlertSettings,
} from "./src/settings/alertSettings";
import { asyncStorageStore } from "./src/storage/asyncStorageStore";
import { AlertsScreen } from "./src/ui/AlertsScreen";
import { MapScreen, type MapView, STOCKHOLM } from "./src/ui/MapScreen";
import { ReportScreen } from "./src/ui/ReportScreen";

type Screen = "map" | "report" | "alerts";

export default function App() {
  const [screen, setScreen] = useState<Screen>("map");
  const [settings, setSettings] = useState<AlertSettings>(DEFAULT_ALERT_SETTINGS);
  const [locationAllowed, setLocationAllowed] = useState(false);
  const mapCenter = useRef<LonLat>(STOCKHOLM);
  const mapView = useRef<MapView | null>(null);
  const outboxStatus = useOutbox();
  const alerts = useAlerts(settings.alertsEnabled, locationAllowed);
  const cities = useCities(services().mapApi.baseUrl, asyncStorageStore);
  const { city, followCentre } = useCityAt(cities, alerts.userPosition, mapCenter.current);

  useEffect(() => {
    void loadAlertSettings(asyncStorageStore).then(setSettings);
    void loadLanguage(asyncStorageStore);
  }, []);

  const changeSettings = async (next: AlertSettings) => {
    await saveAlertSettings(asyncStorageStore, next);
    if (next.alertsEnabled) setLocationAllowed(true);
    setSettings(next);
  };

  const submitReport = async (draft: ReportDraft) => {
    await services().outbox.enqueue(draft);
    setScreen("map");
  };

  return (
    <SafeAreaProvider>
      <SafeAreaView style={styles.app}>
        <CurrentCityContext.Provider value={city}>
          <StatusBar style="dark" />
          {screen === "map" ? (
            <MapScreen
              outboxStatus={outboxStatus}
              alerts={alerts}
              alertsEnabled={settings.alertsEnabled}
              lastView={mapView.current}
              cities={cities}
              onCenterChange={(center, zoom) => {
                mapCenter.current = center;
                mapView.current = { center, zoom: zoom ?? mapView.current?.zoom ?? 12 };
                followCentre(center);
              }}
              onReport={() => setScreen("report")}
              onAlerts={() => setScreen("alerts")}
            />
          ) : null}
          {screen === "report" ? (
            <ReportScreen
              initialPosition={alerts.userPosition ?? mapCenter.current}
              userPosition={alerts.userPosition}
              duringAlert={alerts.active}
              onSubmit={submitReport}
              onCancel={() => setScreen("map")}
            />
          ) : null}
          {screen === "alerts" ? (
            <AlertsScreen
              settings={settings}
              onChange={changeSettings}
              onClose={() => setScreen("map")}
            />
          ) : null}
        </CurrentCityContext.Provider>
      </SafeAreaView>
    </SafeAreaProvider>
  );
}

const styles = StyleSheet.create({
  app: { flex: 1, backgroundColor: "#eef0f2" },
});
