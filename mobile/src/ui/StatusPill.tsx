/** The outbox's state in one pill: "Offline • 1 queued", "Syncing 2/3", "All sent". */
import { StyleSheet, Text, View } from "react-native";
import { useLanguage } from "../i18n/language";
import { type OutboxStatus, statusPillText } from "../outbox/statusText";

export function StatusPill({ status }: { status: OutboxStatus }) {
  const { t } = useLanguage();
  const text = statusPillText(status, t);
  if (text === null) return null;
  const tone = !status.online ? styles.offline : status.queued > 0 ? styles.waiting : styles.done;
  return (
    <View
      style={[styles.pill, tone]}
      testID="status-pill"
      accessibilityLiveRegion="polite"
      accessibilityRole="text"
    >
      <Text style={styles.text}>{text}</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  pill: { alignSelf: "center", borderRadius: 16, paddingHorizontal: 14, paddingVertical: 6 },
  offline: { backgroundColor: "#44546a" },
  waiting: { backgroundColor: "#8a6d1f" },
  done: { backgroundColor: "#2e7d4f" },
  text: { color: "#ffffff", fontWeight: "600" },
});
