/**
 * "In an emergency call 112. To reach the police otherwise: 114 14." with tap-to-call links:
 * the numbers of the city the resident is in (CurrentCityContext), 112 alone when none is known.
 */
import { useContext } from "react";
import { Linking, Pressable, StyleSheet, Text, View } from "react-native";
import { CurrentCityContext } from "../app/useCityAt";
import { useLanguage } from "../i18n/language";
import { emergencyWords } from "./emergencyWords";

export function EmergencyNote({ compact = false }: { compact?: boolean }) {
  const { t } = useLanguage();
  const { text, calls } = emergencyWords(t, useContext(CurrentCityContext));
  return (
    <View style={[styles.box, compact && styles.compact]} testID="emergency-note">
      <Text style={styles.text} testID="emergency-text">
        {text}
      </Text>
      <View style={styles.calls}>
        {calls.map((call, index) => (
          <Pressable
            key={index}
            onPress={() => void Linking.openURL(call.url)}
            accessibilityRole="link"
            testID={`emergency-call-${call.url.slice("tel:".length)}`}
          >
            <Text style={styles.call}>{call.label}</Text>
          </Pressable>
        ))}
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
