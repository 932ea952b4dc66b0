/**
 * Alerts: what they are and how they protect privacy, before any permission is asked; then
 * foreground location, notifications and, on a phone, background location, in that order.
 * Once on: quiet hours, and turning alerts off.
 */
import { useState } from "react";
import { Platform, Pressable, ScrollView, StyleSheet, Switch, Text, View } from "react-native";
import { DEFAULT_POLICY, DEFAULT_QUIET_HOURS } from "../geofence/alertPolicy";
import { requestBackgroundPermission, stopBackgroundGeofencing } from "../platform/geofencing";
import { requestForegroundPermission } from "../platform/location";
import { requestNotificationPermission } from "../platform/notifications";
import type { AlertSettings } from "../settings/alertSettings";

export interface AlertsScreenProps {
  settings: AlertSettings;
  onChange: (settings: AlertSettings) => Promise<void>;
  onClose: () => void;
}

const hhmm = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;

export function AlertsScreen({ settings, onChange, onClose }: AlertsScreenProps) {
  const [note, setNote] = useState<string | null>(null);

  const turnOn = async () => {
    if (!(await requestForegroundPermission())) {
      setNote(
        "Without location access Halo cannot tell when you enter an area. Nothing was changed.",
      );
      return;
    }
    await requestNotificationPermission();
    const background = Platform.OS === "web" ? false : await requestBackgroundPermission();
    await onChange({ ...settings, alertsEnabled: true });
    if (Platform.OS !== "web" && !background) {
      setNote(
        "Alerts are on while Halo is open. Allow location “Always” in the system settings to get them when it is closed.",
      );
      return;
    }
    onClose();
  };

  const turnOff = async () => {
    await stopBackgroundGeofencing();
    await onChange({ ...settings, alertsEnabled: false });
  };

  return (
    <ScrollView contentContainerStyle={styles.screen} testID="alerts-screen">
      <Text style={styles.title}>Alerts near areas with a higher reported incident rate</Text>
      <Text style={styles.body}>
        Halo can tell you when you walk into an area where more incidents were reported than the
        city average ({DEFAULT_POLICY.perZoneCooldownMs / 60_000} minutes between alerts for the
        same area, at most {DEFAULT_POLICY.dailyCap} a day, and a “Mute 1 h” button on every alert).
      </Text>
      <Text style={styles.body}>
        Your location stays on this phone. Halo downloads the map of areas for a wide square around
        you and checks it here; the server never receives your position or your movements.
      </Text>
      {Platform.OS !== "web" ? (
        <Text style={styles.body}>
          To alert you while the app is closed, your phone will next ask to allow location “Always”.
          Halo then watches only a few circles around nearby areas, which uses little battery.
        </Text>
      ) : null}
      {settings.alertsEnabled ? (
        <View style={styles.settings}>
          <View style={styles.row}>
            <Text
              style={styles.body}
            >{`Quiet hours ${hhmm(DEFAULT_QUIET_HOURS.startMinute)}–${hhmm(DEFAULT_QUIET_HOURS.endMinute)}`}</Text>
            <Switch
              value={settings.quietHoursEnabled}
              onValueChange={(quietHoursEnabled) =>
                void onChange({ ...settings, quietHoursEnabled })
              }
            />
          </View>
          <Pressable
            onPress={() => void turnOff()}
            style={styles.secondary}
            accessibilityRole="button"
          >
            <Text style={styles.secondaryText}>Turn off alerts</Text>
          </Pressable>
        </View>
      ) : (
        <Pressable
          onPress={() => void turnOn()}
          style={styles.primary}
          accessibilityRole="button"
          testID="enable-alerts"
        >
          <Text style={styles.primaryText}>Continue and allow location</Text>
        </Pressable>
      )}
      {note ? <Text style={styles.note}>{note}</Text> : null}
      <Pressable
        onPress={onClose}
        style={styles.secondary}
        accessibilityRole="button"
        testID="close-alerts"
      >
        <Text style={styles.secondaryText}>
          {settings.alertsEnabled ? "Back to the map" : "Not now"}
        </Text>
      </Pressable>
    </ScrollView>
  );
}

const styles = StyleSheet.create({
  screen: { padding: 20, gap: 12, backgroundColor: "#ffffff" },
  title: { fontSize: 22, fontWeight: "700" },
  body: { fontSize: 15, lineHeight: 21, flexShrink: 1 },
  settings: { gap: 12 },
  row: { flexDirection: "row", alignItems: "center", justifyContent: "space-between" },
  note: { color: "#8a6d1f" },
  primary: { backgroundColor: "#1f3b73", borderRadius: 24, padding: 14, alignItems: "center" },
  primaryText: { color: "#ffffff", fontWeight: "700" },
  secondary: {
    borderColor: "#1f3b73",
    borderWidth: 1,
    borderRadius: 24,
    padding: 14,
    alignItems: "center",
  },
  secondaryText: { color: "#1f3b73", fontWeight: "700" },
});
