/**
 * The main screen: the risk map over Halo's own style, its legend (the server's classes), the
 * list of recent events, the outbox pill, the alert banner, and actions.
 */
import { useEffect, useRef, useState } from "react";
import { Pressable, StyleSheet, Text, View } from "react-native";
import { type City, creditAt } from "../api/cities";
import type { Incident } from "../api/incidents";
import type { NeighborhoodDetails } from "../api/types";
import type { AlertsView } from "../app/useAlerts";
import { useIncidents } from "../app/useIncidents";
import { useLegend } from "../app/useLegend";
import { useRiskWindow } from "../app/useRiskWindow";
import { services } from "../app/services";
import type { LonLat } from "../geo/geometry";
import { useLanguage } from "../i18n/language";
import { RiskMap } from "../map/Map";
import type { MapHit } from "../map/Map.types";
import type { OutboxStatus } from "../outbox/statusText";
import { AlertBanner } from "./AlertBanner";
import { DetailsPanel } from "./DetailsPanel";
import { IncidentList } from "./IncidentList";
import { Legend } from "./Legend";
import { StatusPill } from "./StatusPill";
import { shareMessage, webMapLink } from "./share";

export const STOCKHOLM: LonLat = [18.07, 59.33];
const START_ZOOM = 12;

/** Where the map was left: it opens there again after another screen. */
export interface MapView {
  center: LonLat;
  zoom: number;
}

export interface MapScreenProps {
  outboxStatus: OutboxStatus;
  alerts: AlertsView;
  alertsEnabled: boolean;
  /** The view the resident left (null at the first start: their position, else the default). */
  lastView: MapView | null;
  /** The cities served (/api/v1/cities): a tapped place's sources are its city's. */
  cities: readonly City[];
  onCenterChange: (center: LonLat, zoom?: number) => void;
  onReport: () => void;
  onAlerts: () => void;
}

interface Selection {
  hits: MapHit[];
  at: LonLat;
  district: NeighborhoodDetails | null;
  error: string | null;
}

function districtIdOf(hits: MapHit[]): number | null {
  const fromCell = hits.find((hit) => hit.layer === "risk")?.properties.district_id;
  const fromDistrict = hits.find((hit) => hit.layer === "districts")?.properties.id;
  const id = fromCell ?? fromDistrict;
  return typeof id === "number" ? id : null;
}

/** Where an incident is, for a share link: its geometry's first point, else the map centre. */
function incidentPoint(incident: Incident, fallback: LonLat): LonLat {
  const geometry = incident.location.geometry;
  if (geometry?.type === "Point")
    return [geometry.coordinates[0] ?? 0, geometry.coordinates[1] ?? 0];
  if (geometry?.type === "Polygon") {
    const first = geometry.coordinates[0]?.[0];
    if (first) return [first[0] ?? 0, first[1] ?? 0];
  }
  return fallback;
}

export function MapScreen(props: MapScreenProps) {
  const { mapApi, incidents: incidentsApi, push } = services();
  const { t } = useLanguage();
  const { windowDays, sources } = useRiskWindow(mapApi);
  const { legend, freshness } = useLegend(mapApi.baseUrl);
  const incidents = useIncidents(incidentsApi);
  const [selection, setSelection] = useState<Selection | null>(null);
  const [listOpen, setListOpen] = useState(false);
  const [sharedLink, setSharedLink] = useState<string | null>(null);
  const start = props.lastView ?? {
    center: props.alerts.userPosition ?? STOCKHOLM,
    zoom: START_ZOOM,
  };
  const centre = useRef<LonLat>(start.center);
  const zoom = useRef(start.zoom);

  const reloadList = async () => {
    const followed = (await push.settings()).followed;
    await incidents.load(centre.current, followed);
  };

  useEffect(() => {
    if (listOpen) void reloadList();
    // Reload when the list opens; moving the map reloads through onCenterChange.
  }, [listOpen]);

  const showDetails = async (hits: MapHit[], at: LonLat) => {
    if (hits.length === 0) return setSelection(null);
    setListOpen(false);
    setSelection({ hits, at, district: null, error: null });
    const id = districtIdOf(hits);
    if (id === null) return;
    try {
      const district = await mapApi.neighborhood(id);
      setSelection((current) => (current?.hits === hits ? { ...current, district } : current));
    } catch {
      const error = t.districtUnavailable;
      setSelection((current) => (current?.hits === hits ? { ...current, error } : current));
    }
  };

  const share = async (title: string, at: LonLat, atZoom: number) => {
    const link = webMapLink(mapApi.baseUrl, at, atZoom);
    setSharedLink((await shareMessage(t.shareMessage(title, link), link)) ? null : link);
  };

  return (
    <View style={styles.screen}>
      <RiskMap
        styleUrl={mapApi.styleUrl}
        initialCenter={start.center}
        initialZoom={start.zoom}
        userPosition={props.alerts.userPosition}
        highlight={listOpen ? incidents.highlight : null}
        onPress={(hits, at) => void showDetails(hits, at)}
        onCenterChange={(center, atZoom) => {
          centre.current = center;
          if (atZoom !== undefined) zoom.current = atZoom;
          props.onCenterChange(center, atZoom);
          if (listOpen && !incidents.selected) void reloadList();
        }}
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
        {sharedLink ? (
          <Pressable onPress={() => setSharedLink(null)} style={styles.shared} testID="shared-link">
            <Text selectable>{t.linkCopied(sharedLink)}</Text>
          </Pressable>
        ) : null}
        {listOpen ? (
          <IncidentList
            state={incidents.state}
            selectedId={incidents.selected?.id ?? null}
            nowMs={Date.now()}
            onSelect={(incident) =>
              void incidents.select(incidents.selected?.id === incident.id ? null : incident)
            }
            onShare={(incident) =>
              void share(incident.title, incidentPoint(incident, centre.current), 14)
            }
            onRetry={() => void reloadList()}
          />
        ) : selection ? (
          <DetailsPanel
            hits={selection.hits}
            district={selection.district}
            districtError={selection.error}
            sources={creditAt(props.cities, selection.at, sources)}
            legend={legend}
            onClose={() => setSelection(null)}
            onShare={() => void share(t.placeTitle, selection.at, Math.max(zoom.current, 14))}
          />
        ) : (
          <Legend windowDays={windowDays} legend={legend} freshness={freshness} />
        )}
        <View style={styles.actions}>
          <Pressable
            style={styles.secondary}
            onPress={() => {
              setSelection(null);
              void incidents.select(null);
              setListOpen(!listOpen);
            }}
            accessibilityRole="button"
            testID="open-incidents"
          >
            <Text style={styles.secondaryText}>{listOpen ? t.hideList : t.recentEvents}</Text>
          </Pressable>
          <Pressable
            style={styles.secondary}
            onPress={props.onAlerts}
            accessibilityRole="button"
            testID="open-alerts"
          >
            <Text style={styles.secondaryText}>
              {props.alertsEnabled ? t.alertsOn : t.turnOnAlerts}
            </Text>
          </Pressable>
        </View>
        <Pressable
          style={styles.primary}
          onPress={props.onReport}
          accessibilityRole="button"
          testID="open-report"
        >
          <Text style={styles.primaryText}>{t.reportIncident}</Text>
        </Pressable>
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1 },
  // Below the map's attribution line (top left), which must never be covered.
  top: { position: "absolute", top: 40, left: 12, right: 52, gap: 8 },
  bottom: { position: "absolute", bottom: 16, left: 12, right: 12, gap: 8 },
  actions: { flexDirection: "row", justifyContent: "space-between", gap: 10 },
  primary: {
    backgroundColor: "#1f3b73",
    borderRadius: 24,
    padding: 12,
    alignItems: "center",
  },
  primaryText: { color: "#ffffff", fontWeight: "700" },
  secondary: {
    flex: 1,
    backgroundColor: "#ffffff",
    borderRadius: 24,
    padding: 12,
    alignItems: "center",
  },
  secondaryText: { color: "#1f3b73", fontWeight: "700", textAlign: "center" },
  shared: { backgroundColor: "#ffffff", borderRadius: 8, padding: 8 },
});
