/** "In an emergency call 112; to reach the police otherwise 114 14", with tap-to-call links. */
import { Linking, Pressable, StyleSheet, Text, View } from "react-native";
import { useLanguage } from "../i18n/language";

export function EmergencyNote({ compact = false }: { compact?: boolean }) {
  const { t } = useLanguage();
  return (
    <View style={[styles.box, compact && styles.compact]} testID="emergency-note">
      <Text style={styles.text}>{t.emergency}</Text>
      <View style={styles.calls}>
        <Pressable onPress={() => void Linking.openURL("tel:112")} accessibilityRole="link">
          <Text style={styles.call}>{t.call112}</Text>
        </Pressable>
        <Pressable onPress={() => void Linking.openURL("tel:11414")} accessibilityRole="link">
          <Text style={styles.call}>{t.call11414}</Text>
        </Pressable>
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  box: { backgroundColor: "#fdecea", borderRadius: 8, padding: 10, gap: 4 },
  compact: { padding: 6 },
  text: { color: "#5f1212", fontSize: 13 },
  calls: { flexDirection: "row", gap: 16 },
  call: { color: "#b00020", fontWeight: "700", textDecorationLine: "underline" },
});
