/**
 * Push messages about followed districts: why first, then the OS permission (on "Allow"),
 * then the server registration; districts picked by name (never from the position), threat
 * levels and quiet hours sent with PUT; "Stop" unregisters.
 */
import { useEffect, useRef, useState } from "react";
import { Pressable, StyleSheet, Switch, Text, TextInput, View } from "react-native";
import { MAX_FOLLOWED_DISTRICTS, type PushThreatLevel } from "../api/devices";
import { getJson } from "../api/http";
import { services } from "../app/services";
import { useLanguage } from "../i18n/language";
import {
  DEFAULT_PUSH_SETTINGS,
  PUSH_QUIET_HOURS,
  type PushOutcome,
  type PushSettings,
} from "../push/pushRegistration";

interface DistrictName {
  id: number;
  name: string;
}

interface DistrictList {
  features: { id: number; properties: { name?: string } }[];
}

const LEVELS: PushThreatLevel[] = ["critical", "high", "info"];

export function PushSection() {
  const { language, t } = useLanguage();
  const { push, mapApi } = services();
  const registeredLanguage = useRef(language);
  const [settings, setSettings] = useState<PushSettings>(DEFAULT_PUSH_SETTINGS);
  const [districts, setDistricts] = useState<DistrictName[]>([]);
  const [filter, setFilter] = useState("");
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void push.settings().then(setSettings);
    void getJson<DistrictList>(`${mapApi.baseUrl}/api/v1/neighborhoods?zoom=4`)
      .then((list) =>
        setDistricts(
          list.features
            .map((feature) => ({
              id: feature.id,
              name: feature.properties.name ?? `#${feature.id}`,
            }))
            .sort((a, b) => a.name.localeCompare(b.name, "sv")),
        ),
      )
      .catch(() => setDistricts([]));
  }, [push, mapApi]);

  const apply = async (next: PushSettings) => {
    setBusy(true);
    const outcome: PushOutcome = await push.apply(next);
    setBusy(false);
    const notes: Record<PushOutcome, string | null> = {
      on: t.pushOn,
      off: null,
      denied: t.pushDenied,
      "no-token": t.pushNoToken,
      failed: t.pushFailed,
    };
    setNote(notes[outcome]);
    if (outcome === "on" || outcome === "off") setSettings(next);
  };

  // Messages come in the app's language: a switch of language is sent to the server too.
  useEffect(() => {
    if (registeredLanguage.current === language) return;
    registeredLanguage.current = language;
    if (settings.enabled) void apply(settings);
  }, [language]);

  // Before registration the choices are local; once on, each change is sent.
  const change = (next: PushSettings) => (settings.enabled ? void apply(next) : setSettings(next));
  const nameOf = (id: number) => districts.find((district) => district.id === id)?.name ?? `#${id}`;
  const matches = filter.trim()
    ? districts
        .filter((district) => district.name.toLowerCase().includes(filter.trim().toLowerCase()))
        .filter((district) => !settings.followed.includes(district.id))
        .slice(0, 6)
    : [];

  return (
    <View style={styles.section} testID="push-section">
      <Text style={styles.heading}>{t.pushTitle}</Text>
      <Text style={styles.body}>{t.pushReason}</Text>
      <Text style={styles.label}>{t.followed}</Text>
      {settings.followed.length === 0 ? <Text style={styles.hint}>{t.noFollowed}</Text> : null}
      {settings.followed.map((id) => (
        <View key={id} style={styles.row}>
          <Text style={styles.body}>{nameOf(id)}</Text>
          <Pressable
            onPress={() =>
              change({ ...settings, followed: settings.followed.filter((f) => f !== id) })
            }
            accessibilityRole="button"
          >
            <Text style={styles.link}>{t.unfollow}</Text>
          </Pressable>
        </View>
      ))}
      {settings.followed.length < MAX_FOLLOWED_DISTRICTS ? (
        <TextInput
          style={styles.input}
          value={filter}
          onChangeText={setFilter}
          placeholder={t.searchDistrict}
          testID="district-filter"
        />
      ) : null}
      {matches.map((district) => (
        <Pressable
          key={district.id}
          onPress={() => {
            setFilter("");
            change({ ...settings, followed: [...settings.followed, district.id] });
          }}
          accessibilityRole="button"
          testID={`follow-${district.id}`}
        >
          <Text style={styles.link}>{district.name}</Text>
        </Pressable>
      ))}
      <Text style={styles.label}>{t.threatLevels}</Text>
      {LEVELS.map((level) => (
        <View key={level} style={styles.row}>
          <Text style={styles.body}>{t.threatLevelNames[level]}</Text>
          <Switch
            value={settings.threatLevels.includes(level)}
            onValueChange={(on) =>
              change({
                ...settings,
                threatLevels: on
                  ? [...settings.threatLevels, level]
                  : settings.threatLevels.filter((l) => l !== level),
              })
            }
          />
        </View>
      ))}
      <View style={styles.row}>
        <Text style={styles.body}>
          {t.pushQuietHours(PUSH_QUIET_HOURS.start, PUSH_QUIET_HOURS.end)}
        </Text>
        <Switch
          value={settings.quietHours}
          onValueChange={(quietHours) => change({ ...settings, quietHours })}
        />
      </View>
      <Pressable
        onPress={() => void apply({ ...settings, enabled: !settings.enabled })}
        disabled={busy}
        style={settings.enabled ? styles.secondary : styles.primary}
        accessibilityRole="button"
        testID={settings.enabled ? "push-off" : "push-on"}
      >
        <Text style={settings.enabled ? styles.secondaryText : styles.primaryText}>
          {settings.enabled ? t.pushTurnOff : t.pushTurnOn}
        </Text>
      </Pressable>
      {note ? (
        <Text style={styles.note} testID="push-note">
          {note}
        </Text>
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  section: { gap: 8, borderTopWidth: 1, borderTopColor: "#e4e7eb", paddingTop: 12 },
  heading: { fontSize: 18, fontWeight: "700" },
  label: { fontWeight: "600", marginTop: 4 },
  body: { fontSize: 15, lineHeight: 21, flexShrink: 1 },
  hint: { color: "#555" },
  row: { flexDirection: "row", alignItems: "center", justifyContent: "space-between", gap: 8 },
  input: { borderWidth: 1, borderColor: "#ccc", borderRadius: 8, padding: 8 },
  link: { color: "#1f3b73", fontWeight: "600", paddingVertical: 4 },
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
