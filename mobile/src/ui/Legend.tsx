/** What the colours mean, in plain words, with the window the server computed them over. */
import { StyleSheet, Text, View } from "react-native";
import { LEGEND_STEPS, legendTitle } from "./riskWords";

export function Legend({ windowDays }: { windowDays: number | null }) {
  return (
    <View style={styles.box} testID="legend">
      <Text style={styles.title}>{legendTitle(windowDays)}</Text>
      {LEGEND_STEPS.map((step) => (
        <View key={step.colour} style={styles.row}>
          <View style={[styles.swatch, { backgroundColor: step.colour }]} />
          <Text style={styles.words}>{step.words}</Text>
        </View>
      ))}
      <Text style={styles.note}>Paler where incidents are known only to the district.</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  box: { backgroundColor: "rgba(255,255,255,0.95)", borderRadius: 8, padding: 10, maxWidth: 300 },
  title: { fontWeight: "600", marginBottom: 6 },
  row: { flexDirection: "row", alignItems: "center", marginVertical: 2 },
  swatch: {
    width: 14,
    height: 14,
    borderRadius: 3,
    marginRight: 8,
    borderWidth: 1,
    borderColor: "#ccc",
  },
  words: { flexShrink: 1 },
  note: { marginTop: 6, color: "#555", fontSize: 12 },
});
