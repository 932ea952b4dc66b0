/**
 * Report an incident: category, when, where (the map's centre, adjustable), optional text and
 * photo. The report goes to the outbox, so it works offline; the pill shows its fate.
 */
import { useState } from "react";
import {
  Image,
  Platform,
  Pressable,
  ScrollView,
  StyleSheet,
  Text,
  TextInput,
  View,
} from "react-native";
import { services } from "../app/services";
import type { LonLat } from "../geo/geometry";
import { RiskMap } from "../map/Map";
import { pickPhoto, type PhotoSource } from "../platform/photos";
import {
  MAX_TEXT_LENGTH,
  REPORT_CATEGORIES,
  type ReportCategory,
  type ReportDraft,
  type ReportPhoto,
  draftProblem,
} from "../reports/reportDraft";

export interface ReportScreenProps {
  initialPosition: LonLat;
  /** The GPS fix, when there is one: "use my position" returns to it. */
  userPosition: LonLat | null;
  duringAlert: boolean;
  onSubmit: (draft: ReportDraft) => Promise<void>;
  onCancel: () => void;
}

const WHEN_CHOICES = [
  { minutesAgo: 0, label: "Now" },
  { minutesAgo: 15, label: "15 min ago" },
  { minutesAgo: 60, label: "1 h ago" },
  { minutesAgo: 180, label: "3 h ago" },
  { minutesAgo: 720, label: "12 h ago" },
];

function Chip(props: { label: string; selected: boolean; onPress: () => void; testID?: string }) {
  return (
    <Pressable
      onPress={props.onPress}
      style={[styles.chip, props.selected && styles.chipSelected]}
      accessibilityRole="button"
      accessibilityState={{ selected: props.selected }}
      testID={props.testID}
    >
      <Text style={props.selected ? styles.chipTextSelected : undefined}>{props.label}</Text>
    </Pressable>
  );
}

export function ReportScreen(props: ReportScreenProps) {
  const [category, setCategory] = useState<ReportCategory | null>(null);
  const [minutesAgo, setMinutesAgo] = useState(0);
  const [position, setPosition] = useState<LonLat>(props.initialPosition);
  const [text, setText] = useState("");
  const [photo, setPhoto] = useState<ReportPhoto | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { mapApi } = services();

  const addPhoto = async (source: PhotoSource) => {
    try {
      const picked = await pickPhoto(source);
      if (picked) setPhoto(picked);
    } catch {
      setProblem("The photo could not be read.");
    }
  };

  const submit = async () => {
    const now = Date.now();
    const draft: ReportDraft = {
      category: category ?? ("" as ReportCategory),
      occurredAt: new Date(now - minutesAgo * 60_000).toISOString(),
      lon: position[0],
      lat: position[1],
      accuracyM: null,
      text: text.trim() || null,
      photo,
      duringAlert: props.duringAlert,
    };
    const why = draftProblem(draft, now);
    setProblem(why);
    if (why) return;
    setBusy(true);
    await props.onSubmit(draft);
  };

  return (
    <ScrollView contentContainerStyle={styles.screen} testID="report-screen">
      <Text style={styles.title}>Report an incident</Text>
      <Text style={styles.label}>What happened?</Text>
      <View style={styles.chips}>
        {REPORT_CATEGORIES.map((choice) => (
          <Chip
            key={choice.code}
            label={choice.label}
            selected={category === choice.code}
            onPress={() => setCategory(choice.code)}
            testID={`category-${choice.code}`}
          />
        ))}
      </View>
      <Text style={styles.label}>When?</Text>
      <View style={styles.chips}>
        {WHEN_CHOICES.map((choice) => (
          <Chip
            key={choice.minutesAgo}
            label={choice.label}
            selected={minutesAgo === choice.minutesAgo}
            onPress={() => setMinutesAgo(choice.minutesAgo)}
          />
        ))}
      </View>
      <Text style={styles.label}>Where? Move the map so the cross is on the place.</Text>
      <View style={styles.map}>
        <RiskMap
          styleUrl={mapApi.styleUrl}
          initialCenter={props.initialPosition}
          initialZoom={15}
          userPosition={props.userPosition}
          onCenterChange={setPosition}
          crosshair
        />
      </View>
      <Text
        style={styles.hint}
        testID="report-position"
      >{`${position[1].toFixed(5)}, ${position[0].toFixed(5)}`}</Text>
      <Text style={styles.label}>Anything to add? (optional)</Text>
      <TextInput
        style={styles.input}
        multiline
        maxLength={MAX_TEXT_LENGTH}
        value={text}
        onChangeText={setText}
        placeholder="Describe what happened, not who: no names or descriptions of people."
        testID="report-text"
      />
      <View style={styles.chips}>
        {Platform.OS !== "web" ? (
          <Chip label="Take photo" selected={false} onPress={() => void addPhoto("camera")} />
        ) : null}
        <Chip
          label={photo ? "Replace photo" : "Add photo"}
          selected={false}
          onPress={() => void addPhoto("library")}
        />
        {photo ? (
          <Chip label="Remove photo" selected={false} onPress={() => setPhoto(null)} />
        ) : null}
      </View>
      {photo ? (
        <Image
          source={{ uri: photo.uri }}
          style={styles.photo}
          accessibilityLabel="Photo to send, without location data"
        />
      ) : null}
      <Text style={styles.hint}>
        The photo is re-encoded on this phone: its location and camera data are removed.
      </Text>
      {problem ? (
        <Text style={styles.problem} accessibilityRole="alert">
          {problem}
        </Text>
      ) : null}
      <View style={styles.actions}>
        <Pressable onPress={props.onCancel} style={styles.secondary} accessibilityRole="button">
          <Text style={styles.secondaryText}>Cancel</Text>
        </Pressable>
        <Pressable
          onPress={() => void submit()}
          disabled={busy}
          style={styles.primary}
          accessibilityRole="button"
          testID="send-report"
        >
          <Text style={styles.primaryText}>Send report</Text>
        </Pressable>
      </View>
      <Text style={styles.hint}>
        Without a connection the report waits on this phone and is sent later.
      </Text>
    </ScrollView>
  );
}

const styles = StyleSheet.create({
  screen: { padding: 16, gap: 8, backgroundColor: "#ffffff" },
  title: { fontSize: 22, fontWeight: "700" },
  label: { fontWeight: "600", marginTop: 8 },
  chips: { flexDirection: "row", flexWrap: "wrap", gap: 8 },
  chip: {
    borderWidth: 1,
    borderColor: "#1f3b73",
    borderRadius: 16,
    paddingHorizontal: 12,
    paddingVertical: 6,
  },
  chipSelected: { backgroundColor: "#1f3b73" },
  chipTextSelected: { color: "#ffffff" },
  map: { height: 240, borderRadius: 8, overflow: "hidden" },
  input: {
    borderWidth: 1,
    borderColor: "#ccc",
    borderRadius: 8,
    minHeight: 80,
    padding: 8,
    textAlignVertical: "top",
  },
  photo: { width: 160, height: 120, borderRadius: 8 },
  hint: { color: "#555", fontSize: 12 },
  problem: { color: "#b00020" },
  actions: { flexDirection: "row", gap: 10, marginTop: 12 },
  primary: {
    flex: 1,
    backgroundColor: "#1f3b73",
    borderRadius: 24,
    padding: 14,
    alignItems: "center",
  },
  primaryText: { color: "#ffffff", fontWeight: "700" },
  secondary: {
    flex: 1,
    borderColor: "#1f3b73",
    borderWidth: 1,
    borderRadius: 24,
    padding: 14,
    alignItems: "center",
  },
  secondaryText: { color: "#1f3b73", fontWeight: "700" },
});
