/**
 * What a tap on the map shows: the hexagon's estimate (from the tile itself: no position is
 * sent) and its district's details from the API, with the evidence level and the sources.
 */
import { Pressable, ScrollView, StyleSheet, Text, View } from "react-native";
import type { NeighborhoodDetails } from "../api/types";
import type { MapHit } from "../map/Map.types";
import { evidenceWords, relativeRateWords, scoreWords, trendWords, windowWords } from "./riskWords";

export interface DetailsPanelProps {
  hits: MapHit[];
  district: NeighborhoodDetails | null;
  districtError: string | null;
  sources: string | null;
  onClose: () => void;
}

function Line({ children }: { children: string | null }) {
  return children ? <Text style={styles.line}>{children}</Text> : null;
}

function CellSection({ cell }: { cell: Record<string, unknown> }) {
  return (
    <View style={styles.section}>
      <Text style={styles.heading}>This hexagon</Text>
      <Line>{scoreWords(cell.risk_score as number | null)}</Line>
      <Line>{relativeRateWords(cell.relative_risk, cell.rr_lower, cell.rr_upper)}</Line>
      <Line>{`Evidence: ${evidenceWords(cell.evidence)}`}</Line>
      <Line>{trendWords(cell.trend)}</Line>
    </View>
  );
}

function DistrictSection({ district }: { district: NeighborhoodDetails }) {
  const cells = district.cells_by_evidence;
  return (
    <View style={styles.section}>
      <Text style={styles.heading}>{district.name}</Text>
      <Line>{scoreWords(district.risk_score)}</Line>
      <Line>{relativeRateWords(district.relative_risk, district.rr_lower, district.rr_upper)}</Line>
      <Line>{`${district.incidents} reported incidents, ${windowWords(district.window_days)}`}</Line>
      {district.incidents_by_category
        .filter((category) => category.count > 0)
        .map((category) => (
          <Text
            key={category.category}
            style={styles.item}
          >{`• ${category.label_en}: ${category.count}`}</Text>
        ))}
      <Line>{`Evidence level: ${evidenceWords(district.evidence)}`}</Line>
      <Line>{`Hexagons by evidence: ${cells.point} exactly located, ${cells.inferred} inferred, ${cells.none} without incidents`}</Line>
      <Line>{trendWords(district.trend)}</Line>
      <Line>{district.as_of ? `Computed ${district.as_of.slice(0, 10)}` : null}</Line>
    </View>
  );
}

export function DetailsPanel({
  hits,
  district,
  districtError,
  sources,
  onClose,
}: DetailsPanelProps) {
  const cell = hits.find((hit) => hit.layer === "risk")?.properties;
  return (
    <View style={styles.panel} testID="details-panel">
      <ScrollView>
        {cell ? <CellSection cell={cell} /> : null}
        {district ? <DistrictSection district={district} /> : null}
        {!cell && !district && !districtError ? <Text>Loading…</Text> : null}
        <Line>{districtError}</Line>
        <Text
          style={styles.sources}
        >{`Sources: ${sources ?? "Halo"}. A higher rate is about reports, not about the people who live there.`}</Text>
      </ScrollView>
      <Pressable onPress={onClose} accessibilityRole="button" style={styles.close}>
        <Text style={styles.closeText}>Close</Text>
      </Pressable>
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
  close: { alignSelf: "flex-end", marginTop: 8 },
  closeText: { color: "#1f3b73", fontWeight: "600" },
});
