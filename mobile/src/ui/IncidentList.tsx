/**
 * Recent events near the map's centre and in followed districts, newest first: when ("2 h
 * ago"), the API's category label and the source's own type word, the text, where (with how
 * precisely it is known) and a link to the source. Tapping one shows it on the map.
 */
import { Linking, Pressable, ScrollView, StyleSheet, Text, View } from "react-native";
import type { Incident } from "../api/incidents";
import { useLanguage } from "../i18n/language";
import type { Strings } from "../i18n/strings";
import { EmergencyNote } from "./EmergencyNote";

export type IncidentListState =
  | { kind: "loading" }
  | { kind: "unavailable" }
  | { kind: "failed" }
  | { kind: "ready"; items: Incident[] };

export interface IncidentListProps {
  state: IncidentListState;
  selectedId: number | null;
  nowMs: number;
  onSelect: (incident: Incident) => void;
  onShare: (incident: Incident) => void;
  onRetry: () => void;
}

export function agoWords(iso: string, nowMs: number, t: Strings): string {
  const minutes = (nowMs - Date.parse(iso)) / 60_000;
  return t.ago(Math.max(0, minutes));
}

export function sourceWords(incident: Incident, t: Strings): string {
  return t.sourceNames[incident.source] ?? incident.source;
}

function IncidentRow(props: {
  incident: Incident;
  selected: boolean;
  nowMs: number;
  onSelect: () => void;
  onShare: () => void;
}) {
  const { language, t } = useLanguage();
  const { incident } = props;
  const where = [incident.location.name, t.precision[incident.location.support]]
    .filter(Boolean)
    .join(" – ");
  return (
    <Pressable
      onPress={props.onSelect}
      style={[styles.row, props.selected && styles.rowSelected]}
      accessibilityRole="button"
      accessibilityState={{ selected: props.selected }}
      testID={`incident-${incident.id}`}
    >
      <View style={styles.rowHead}>
        <Text style={styles.kind}>{`${incident.category_label[language]} · ${incident.type}`}</Text>
        <Text style={styles.when} testID={`incident-${incident.id}-when`}>
          {agoWords(incident.occurred_at, props.nowMs, t)}
        </Text>
      </View>
      <Text style={styles.title}>{incident.title}</Text>
      {incident.summary ? (
        <Text style={styles.summary} numberOfLines={props.selected ? undefined : 2}>
          {incident.summary}
        </Text>
      ) : null}
      <Text style={styles.where}>{where}</Text>
      <View style={styles.links}>
        <Text style={styles.source}>{`${t.source}: ${sourceWords(incident, t)}`}</Text>
        {incident.url ? (
          <Pressable
            onPress={() => void Linking.openURL(incident.url ?? "")}
            accessibilityRole="link"
            testID={`incident-${incident.id}-source`}
          >
            <Text style={styles.link}>{t.openSource}</Text>
          </Pressable>
        ) : null}
        <Pressable onPress={props.onShare} accessibilityRole="button">
          <Text style={styles.link}>{t.shareIncident}</Text>
        </Pressable>
      </View>
      {props.selected ? <Text style={styles.shown}>{t.showOnMap}</Text> : null}
    </Pressable>
  );
}

export function IncidentList(props: IncidentListProps) {
  const { t } = useLanguage();
  const { state } = props;
  return (
    <View style={styles.panel} testID="incident-list">
      <Text style={styles.heading}>{t.incidentsTitle}</Text>
      <ScrollView style={styles.scroll}>
        {state.kind === "loading" ? <Text>{t.loading}</Text> : null}
        {state.kind === "unavailable" ? (
          <Text testID="incidents-unavailable">{t.incidentsUnavailable}</Text>
        ) : null}
        {state.kind === "failed" ? (
          <View>
            <Text>{t.incidentsFailed}</Text>
            <Pressable onPress={props.onRetry} accessibilityRole="button">
              <Text style={styles.link}>{t.retry}</Text>
            </Pressable>
          </View>
        ) : null}
        {state.kind === "ready" && state.items.length === 0 ? (
          <Text>{t.incidentsEmpty}</Text>
        ) : null}
        {state.kind === "ready"
          ? state.items.map((incident) => (
              <IncidentRow
                key={incident.id}
                incident={incident}
                selected={incident.id === props.selectedId}
                nowMs={props.nowMs}
                onSelect={() => props.onSelect(incident)}
                onShare={() => props.onShare(incident)}
              />
            ))
          : null}
      </ScrollView>
      <EmergencyNote compact />
    </View>
  );
}

const styles = StyleSheet.create({
  panel: { backgroundColor: "#ffffff", borderRadius: 12, padding: 12, maxHeight: 380, gap: 6 },
  heading: { fontWeight: "700", fontSize: 15 },
  scroll: { flexGrow: 0 },
  row: { paddingVertical: 8, borderBottomWidth: 1, borderBottomColor: "#e4e7eb", gap: 2 },
  rowSelected: { backgroundColor: "#eef3fb" },
  rowHead: { flexDirection: "row", justifyContent: "space-between", gap: 8 },
  kind: { fontWeight: "600", color: "#1f3b73", flexShrink: 1 },
  when: { color: "#555", fontSize: 12 },
  title: { fontWeight: "600" },
  summary: { color: "#222" },
  where: { color: "#555", fontSize: 12 },
  links: { flexDirection: "row", gap: 14, alignItems: "center", flexWrap: "wrap" },
  source: { color: "#555", fontSize: 12 },
  link: { color: "#1f3b73", fontWeight: "600", textDecorationLine: "underline" },
  shown: { color: "#2e7d4f", fontSize: 12 },
});
