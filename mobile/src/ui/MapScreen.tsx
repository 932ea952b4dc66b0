/** The main screen: the risk map, its legend, the outbox pill, the alert banner, and actions. */
import { useState } from "react";
import { Pressable, StyleSheet, Text, View } from "react-native";
import type { NeighborhoodDetails } from "../api/types";
import type { AlertsView } from "../app/useAlerts";
import { useRiskWindow } from "../app/useRiskWindow";
import { services } from "../app/services";
import type { LonLat } from "../geo/geometry";
import { RiskMap } from "../map/Map";
import type { MapHit } from "../map/Map.types";
import type { OutboxStatus } from "../outbox/statusText";
import { AlertBanner } from "./AlertBanner";
import { DetailsPanel } from "./DetailsPanel";
import { Legend } from "./Legend";
import { StatusPill } from "./StatusPill";

export const STOCKHOLM: LonLat = [18.07, 59.33];

export interface MapScreenProps {
  outboxStatus: OutboxStatus;
  alerts: AlertsView;
  alertsEnabled: boolean;
  onCenterChange: (center: LonLat) => void;
  onReport: () => void;
  onAlerts: () => void;
}

interface Selection {
  hits: MapHit[];
  district: NeighborhoodDetails | null;
  error: string | null;
}

function districtIdOf(hits: MapHit[]): number | null {
  const fromCell = hits.find((hit) => hit.layer === "risk")?.properties.district_id;
  const fromDistrict = hits.find((hit) => hit.layer === "districts")?.properties.id;
  const id = fromCell ?? fromDistrict;
  return typeof id === "number" ? id : null;
}

export function MapScreen(props: MapScreenProps) {
  const { mapApi } = services();
  const { windowDays, sources } = useRiskWindow(mapApi);
  const [selection, setSelection] = useState<Selection | null>(null);

  const showDetails = async (hits: MapHit[]) => {
    if (hits.length === 0) return setSelection(null);
    setSelection({ hits, district: null, error: null });
    const id = districtIdOf(hits);
    if (id === null) return;
    try {
      const district = await mapApi.neighborhood(id);
      setSelection((current) => (current?.hits === hits ? { ...current, district } : current));
    } catch {
      const error = "District details are not available right now.";
      setSelection((current) => (current?.hits === hits ? { ...current, error } : current));
    }
  };

  return (
    <View style={styles.screen}>
      <RiskMap
        styleUrl={mapApi.styleUrl}
        initialCenter={props.alerts.userPosition ?? STOCKHOLM}
        initialZoom={12}
        userPosition={props.alerts.userPosition}
        onPress={(hits) => void showDetails(hits)}
        onCenterChange={props.onCenterChange}
        exposeAs="map"
      />
      <View style={styles.top} pointerEvents="box-none">
        <StatusPill status={props.outboxStatus} />
        <AlertBanner
          message={props.alerts.bannerMessage}
          mutedUntilMs={props.alerts.mutedUntilMs}
          onMute={props.alerts.mute}
          onDismiss={props.alerts.dismiss}
        />
      </View>
      <View style={styles.bottom} pointerEvents="box-none">
        {selection ? (
          <DetailsPanel
            hits={selection.hits}
            district={selection.district}
            districtError={selection.error}
            sources={sources}
            onClose={() => setSelection(null)}
          />
        ) : (
          <Legend windowDays={windowDays} />
        )}
        <View style={styles.actions}>
          <Pressable
            style={styles.secondary}
            onPress={props.onAlerts}
            accessibilityRole="button"
            testID="open-alerts"
          >
            <Text style={styles.secondaryText}>
              {props.alertsEnabled ? "Alerts on" : "Turn on alerts"}
            </Text>
          </Pressable>
          <Pressable
            style={styles.primary}
            onPress={props.onReport}
            accessibilityRole="button"
            testID="open-report"
          >
            <Text style={styles.primaryText}>Report an incident</Text>
          </Pressable>
        </View>
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1 },
  top: { position: "absolute", top: 12, left: 12, right: 12, gap: 8 },
  bottom: { position: "absolute", bottom: 16, left: 12, right: 12, gap: 10 },
  actions: { flexDirection: "row", justifyContent: "space-between", gap: 10 },
  primary: {
    flex: 1,
    backgroundColor: "#1f3b73",
    borderRadius: 24,
    padding: 14,
    alignItems: "center",
  },
  primaryText: { color: "#ffffff", fontWeight: "700" },
  secondary: {
    flex: 1,
    backgroundColor: "#ffffff",
    borderRadius: 24,
    padding: 14,
    alignItems: "center",
  },
  secondaryText: { color: "#1f3b73", fontWeight: "700" },
});
