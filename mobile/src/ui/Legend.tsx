/**
 * What the colours mean, in plain words: the server's legend classes (GET /api/v1/legend),
 * the window the estimates cover, why zoomed-in hexagons are paler, and how fresh the data is.
 */
import { useState } from "react";
import { Pressable, StyleSheet, Text, View } from "react-native";
import { BUILT_IN_LEGEND, type Freshness, type Legend as LegendData } from "../api/legend";
import { useLanguage } from "../i18n/language";
import { legendRows, legendTitle } from "./riskWords";

export interface LegendProps {
  windowDays: number | null;
  legend?: LegendData;
  freshness?: Freshness | null;
}

export function Legend({ windowDays, legend = BUILT_IN_LEGEND, freshness = null }: LegendProps) {
  const { language, t } = useLanguage();
  const upTo = freshness?.stale && freshness.newest_event_at ? freshness.newest_event_at : null;
  // The notes fold away on a phone screen; the colours and their words always show.
  const [open, setOpen] = useState(false);
  return (
    <View style={styles.box} testID="legend">
      <Text style={styles.title}>{legendTitle(windowDays, t)}</Text>
      {legendRows(legend, language).map((step) => (
        <View key={step.colour} style={styles.row}>
          {/* The swatch is as opaque as the hexagons are drawn, so it looks like the map. */}
          <View style={styles.swatch}>
            <View
              style={[styles.fill, { backgroundColor: step.colour, opacity: step.opacity }]}
              testID={`legend-swatch-${step.colour}`}
            />
          </View>
          <Text style={styles.words}>{step.words}</Text>
        </View>
      ))}
      {open ? (
        <>
          <Text style={styles.note}>{legend.explanation?.[language] ?? t.legendPaler}</Text>
          <Text style={styles.note}>{t.legendZoom}</Text>
        </>
      ) : null}
      <Pressable
        onPress={() => setOpen(!open)}
        accessibilityRole="button"
        accessibilityState={{ expanded: open }}
        testID="legend-more"
      >
        <Text style={styles.more}>{open ? t.legendLess : t.legendMore}</Text>
      </Pressable>
      {upTo ? (
        <Text style={styles.stale} testID="data-up-to">
          {t.dataUpTo(upTo)}
        </Text>
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  box: { backgroundColor: "rgba(255,255,255,0.95)", borderRadius: 8, padding: 10, maxWidth: 320 },
  title: { fontWeight: "600", marginBottom: 6 },
  row: { flexDirection: "row", alignItems: "center", marginVertical: 2 },
  swatch: {
    width: 14,
    height: 14,
    borderRadius: 3,
    marginRight: 8,
    borderWidth: 1,
    borderColor: "#ccc",
    backgroundColor: "#f3efe6", // the base map's land, under the hexagon colour
    overflow: "hidden",
  },
  fill: { flex: 1 },
  words: { flexShrink: 1 },
  note: { marginTop: 6, color: "#555", fontSize: 12 },
  more: { marginTop: 6, color: "#1f3b73", fontWeight: "600", fontSize: 12 },
  stale: { marginTop: 6, color: "#8a6d1f", fontSize: 12, fontWeight: "600" },
});
