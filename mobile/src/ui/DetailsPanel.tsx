/**
 * What a tap on the map shows: the hexagon's estimate (from the tile itself: no position is
 * sent) and its district's details from the API, with the evidence level and the sources.
 */
import { Pressable, ScrollView, StyleSheet, Text, View } from "react-native";
import { BUILT_IN_LEGEND, type Legend } from "../api/legend";
import type { NeighborhoodDetails } from "../api/types";
import { useLanguage } from "../i18n/language";
import type { Strings } from "../i18n/strings";
import type { MapHit } from "../map/Map.types";
import { evidenceWords, relativeRateWords, scoreWords, trendWords, windowWords } from "./riskWords";

export interface DetailsPanelProps {
  hits: MapHit[];
  district: NeighborhoodDetails | null;
  districtError: string | null;
  sources: string | null;
  legend?: Legend;
  onClose: () => void;
  onShare?: () => void;
}

function Line({ children }: { children: string | null }) {
  return children ? <Text style={styles.line}>{children}</Text> : null;
}

function CellSection({
  cell,
  legend,
  t,
}: {
  cell: Record<string, unknown>;
  legend: Legend;
  t: Strings;
}) {
  return (
    <View style={styles.section}>
      <Text style={styles.heading}>{t.thisHexagon}</Text>
      <Line>{scoreWords(cell.risk_score as number | null, cell.relative_risk, legend, t)}</Line>
      <Line>{relativeRateWords(cell.relative_risk, cell.rr_lower, cell.rr_upper, t)}</Line>
      <Line>{t.evidence(evidenceWords(cell.evidence, t))}</Line>
      <Line>{trendWords(cell.trend, t)}</Line>
    </View>
  );
}

function DistrictSection({
  district,
  legend,
  t,
  language,
}: {
  district: NeighborhoodDetails;
  legend: Legend;
  t: Strings;
  language: "sv" | "en";
}) {
  const cells = district.cells_by_evidence;
  return (
    <View style={styles.section}>
      <Text style={styles.heading}>{district.name}</Text>
      <Line>{scoreWords(district.risk_score, district.relative_risk, legend, t)}</Line>
      <Line>
        {relativeRateWords(district.relative_risk, district.rr_lower, district.rr_upper, t)}
      </Line>
      <Line>{t.incidentsInWindow(district.incidents, windowWords(district.window_days, t))}</Line>
      {district.incidents_by_category
        .filter((category) => category.count > 0)
        .map((category) => (
          <Text key={category.category} style={styles.item}>
            {`• ${language === "sv" ? category.label_sv : category.label_en}: ${category.count}`}
          </Text>
        ))}
      <Line>{t.evidenceLevel(evidenceWords(district.evidence, t))}</Line>
      <Line>{t.hexagonsByEvidence(cells.point, cells.inferred, cells.none)}</Line>
      <Line>{trendWords(district.trend, t)}</Line>
      <Line>{district.as_of ? t.computed(district.as_of.slice(0, 10)) : null}</Line>
    </View>
  );
}

export function DetailsPanel({
  hits,
  district,
  districtError,
  sources,
  legend = BUILT_IN_LEGEND,
  onClose,
  onShare,
}: DetailsPanelProps) {
  const { language, t } = useLanguage();
  const cell = hits.find((hit) => hit.layer === "risk")?.properties;
  return (
    <View style={styles.panel} testID="details-panel">
      <ScrollView>
        {cell ? <CellSection cell={cell} legend={legend} t={t} /> : null}
        {district ? (
          <DistrictSection district={district} legend={legend} t={t} language={language} />
        ) : null}
        {!cell && !district && !districtError ? <Text>{t.loading}</Text> : null}
        <Line>{districtError}</Line>
        <Text style={styles.sources}>{t.sources(sources ?? "Halo")}</Text>
      </ScrollView>
      <View style={styles.actions}>
        {onShare ? (
          <Pressable onPress={onShare} accessibilityRole="button" testID="share-place">
            <Text style={styles.closeText}>{t.sharePlace}</Text>
          </Pressable>
        ) : null}
        <Pressable onPress={onClose} accessibilityRole="button">
          <Text style={styles.closeText}>{t.close}</Text>
        </Pressable>
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  panel: {
    backgroundColor: "#ffffff",
    borderRadius: 12,
    padding: 14,
    maxHeight: 360,
    elevation: 4,
  },
  section: { marginBottom: 10 },
  heading: { fontWeight: "700", fontSize: 16, marginBottom: 4 },
  line: { marginVertical: 1 },
  item: { marginLeft: 8 },
  sources: { color: "#555", fontSize: 12, marginTop: 6 },
  actions: { flexDirection: "row", justifyContent: "flex-end", gap: 20, marginTop: 8 },
  closeText: { color: "#1f3b73", fontWeight: "600" },
});
