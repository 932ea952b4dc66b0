/** Shown while the device is in an area with a higher reported incident rate; offers "Mute 1 h". */
import { Pressable, StyleSheet, Text, View } from "react-native";
import { useLanguage } from "../i18n/language";

export interface AlertBannerProps {
  /** The alert's message, or null when the device is clear. */
  message: string | null;
  mutedUntilMs: number | null;
  onMute: () => void;
  onDismiss: () => void;
}

export function AlertBanner({ message, mutedUntilMs, onMute, onDismiss }: AlertBannerProps) {
  const { t } = useLanguage();
  if (message === null) return null;
  const muted = mutedUntilMs !== null && mutedUntilMs > Date.now();
  return (
    <View style={styles.banner} testID="alert-banner" accessibilityRole="alert">
      <Text style={styles.text}>{message}</Text>
      <View style={styles.actions}>
        {muted ? (
          <Text style={styles.muted}>
            {t.mutedUntil(new Date(mutedUntilMs).toLocaleTimeString())}
          </Text>
        ) : (
          <Pressable onPress={onMute} accessibilityRole="button" testID="mute-alerts">
            <Text style={styles.action}>{t.mute}</Text>
          </Pressable>
        )}
        <Pressable onPress={onDismiss} accessibilityRole="button">
          <Text style={styles.action}>{t.dismiss}</Text>
        </Pressable>
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  banner: {
    backgroundColor: "#fff4e5",
    borderColor: "#e31a1c",
    borderLeftWidth: 4,
    borderRadius: 8,
    padding: 12,
  },
  text: { color: "#222" },
  actions: { flexDirection: "row", justifyContent: "flex-end", gap: 16, marginTop: 8 },
  action: { color: "#1f3b73", fontWeight: "600" },
  muted: { color: "#555" },
});
