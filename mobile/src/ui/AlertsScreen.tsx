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
import { chooseLanguage, useLanguage } from "../i18n/language";
import { LANGUAGES, STRINGS } from "../i18n/strings";
import type { AlertSettings } from "../settings/alertSettings";
import { asyncStorageStore } from "../storage/asyncStorageStore";
import { EmergencyNote } from "./EmergencyNote";
import { PushSection } from "./PushSection";

export interface AlertsScreenProps {
  settings: AlertSettings;
  onChange: (settings: AlertSettings) => Promise<void>;
  onClose: () => void;
}

const hhmm = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;

export function AlertsScreen({ settings, onChange, onClose }: AlertsScreenProps) {
  const [note, setNote] = useState<string | null>(null);
  const { language, t } = useLanguage();

  const turnOn = async () => {
    if (!(await requestForegroundPermission())) {
      setNote(t.alertsNoLocation);
      return;
    }
    await requestNotificationPermission();
    const background = Platform.OS === "web" ? false : await requestBackgroundPermission();
    await onChange({ ...settings, alertsEnabled: true });
    if (Platform.OS !== "web" && !background) {
      setNote(t.alertsOnlyOpen);
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
      <Text style={styles.title}>{t.settingsTitle}</Text>
      <EmergencyNote />
      <View style={styles.row}>
        <Text style={styles.label}>{t.language}</Text>
        <View style={styles.languages}>
          {LANGUAGES.map((choice) => (
            <Pressable
              key={choice}
              onPress={() => void chooseLanguage(asyncStorageStore, choice)}
              style={[styles.language, choice === language && styles.languageChosen]}
              accessibilityRole="button"
              accessibilityState={{ selected: choice === language }}
              testID={`language-${choice}`}
            >
              <Text style={choice === language ? styles.primaryText : styles.secondaryText}>
                {STRINGS[choice].languageName}
              </Text>
            </Pressable>
          ))}
        </View>
      </View>
      <Text style={styles.heading}>{t.alertsTitle}</Text>
      <Text style={styles.body}>
        {t.alertsExplain(DEFAULT_POLICY.perZoneCooldownMs / 60_000, DEFAULT_POLICY.dailyCap)}
      </Text>
      <Text style={styles.body}>{t.alertsPrivacy}</Text>
      {Platform.OS !== "web" ? <Text style={styles.body}>{t.alertsAlways}</Text> : null}
      {settings.alertsEnabled ? (
        <View style={styles.settings}>
          <View style={styles.row}>
            <Text style={styles.body}>
              {t.quietHours(
                hhmm(DEFAULT_QUIET_HOURS.startMinute),
                hhmm(DEFAULT_QUIET_HOURS.endMinute),
              )}
            </Text>
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
            <Text style={styles.secondaryText}>{t.turnOffAlerts}</Text>
          </Pressable>
        </View>
      ) : (
        <Pressable
          onPress={() => void turnOn()}
          style={styles.primary}
          accessibilityRole="button"
          testID="enable-alerts"
        >
          <Text style={styles.primaryText}>{t.continueAllowLocation}</Text>
        </Pressable>
      )}
      {note ? <Text style={styles.note}>{note}</Text> : null}
      <PushSection />
      <Pressable
        onPress={onClose}
        style={styles.secondary}
        accessibilityRole="button"
        testID="close-alerts"
      >
        <Text style={styles.secondaryText}>{settings.alertsEnabled ? t.backToMap : t.notNow}</Text>
      </Pressable>
    </ScrollView>
  );
}

const styles = StyleSheet.create({
  screen: { padding: 20, gap: 12, backgroundColor: "#ffffff" },
  title: { fontSize: 22, fontWeight: "700" },
  heading: { fontSize: 18, fontWeight: "700" },
  label: { fontWeight: "600" },
  languages: { flexDirection: "row", gap: 8 },
  language: {
    borderColor: "#1f3b73",
    borderWidth: 1,
    borderRadius: 16,
    paddingHorizontal: 12,
    paddingVertical: 6,
  },
  languageChosen: { backgroundColor: "#1f3b73" },
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
