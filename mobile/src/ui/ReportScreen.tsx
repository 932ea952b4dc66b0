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
import { useLanguage } from "../i18n/language";
import { pickPhoto, type PhotoSource } from "../platform/photos";
import { pickVideo } from "../platform/videos";
import {
  MAX_TEXT_LENGTH,
  REPORT_CATEGORIES,
  type ReportCategory,
  type ReportDraft,
  type ReportPhoto,
  type ReportVideo,
  MAX_VIDEO_SECONDS,
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

/** Minutes ago of each "When?" choice; the words are `whenChoices` in i18n/strings.ts. */
const WHEN_MINUTES = [0, 15, 60, 180, 720];

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
  const [video, setVideo] = useState<ReportVideo | null>(null);
  const { t } = useLanguage();
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { mapApi } = services();

  const addPhoto = async (source: PhotoSource) => {
    try {
      const picked = await pickPhoto(source);
      if (picked) setPhoto(picked);
    } catch {
      setProblem(t.photoUnreadable);
    }
  };

  const addVideo = async () => {
    try {
      const picked = await pickVideo(MAX_VIDEO_SECONDS);
      if (picked) setVideo(picked);
    } catch {
      setProblem(t.videoUnreadable);
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
      video,
      duringAlert: props.duringAlert,
    };
    const why = draftProblem(draft, now, t);
    setProblem(why);
    if (why) return;
    setBusy(true);
    await props.onSubmit(draft);
  };

  return (
    <ScrollView contentContainerStyle={styles.screen} testID="report-screen">
      <Text style={styles.title}>{t.reportIncident}</Text>
      <Text style={styles.label}>{t.reportWhat}</Text>
      <View style={styles.chips}>
        {REPORT_CATEGORIES.map((choice) => (
          <Chip
            key={choice.code}
            label={t.categories[choice.code]}
            selected={category === choice.code}
            onPress={() => setCategory(choice.code)}
            testID={`category-${choice.code}`}
          />
        ))}
      </View>
      <Text style={styles.label}>{t.reportWhen}</Text>
      <View style={styles.chips}>
        {WHEN_MINUTES.map((minutes, index) => (
          <Chip
            key={minutes}
            label={t.whenChoices[index] ?? `${minutes} min`}
            selected={minutesAgo === minutes}
            onPress={() => setMinutesAgo(minutes)}
          />
        ))}
      </View>
      <Text style={styles.label}>{t.reportWhere}</Text>
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
      <Text style={styles.label}>{t.reportText}</Text>
      <TextInput
        style={styles.input}
        multiline
        maxLength={MAX_TEXT_LENGTH}
        value={text}
        onChangeText={setText}
        placeholder={t.reportTextPlaceholder}
        testID="report-text"
      />
      <View style={styles.chips}>
        {Platform.OS !== "web" ? (
          <Chip label={t.takePhoto} selected={false} onPress={() => void addPhoto("camera")} />
        ) : null}
        <Chip
          label={photo ? t.replacePhoto : t.addPhoto}
          selected={false}
          onPress={() => void addPhoto("library")}
        />
        {photo ? (
          <Chip label={t.removePhoto} selected={false} onPress={() => setPhoto(null)} />
        ) : null}
      </View>
      {photo ? (
        <Image source={{ uri: photo.uri }} style={styles.photo} accessibilityLabel={t.photoAlt} />
      ) : null}
      <Text style={styles.hint}>{t.photoHint}</Text>
      <View style={styles.chips}>
        <Chip
          label={video ? t.replaceVideo : t.addVideo}
          selected={false}
          onPress={() => void addVideo()}
          testID="add-video"
        />
        {video ? (
          <Chip label={t.removeVideo} selected={false} onPress={() => setVideo(null)} />
        ) : null}
      </View>
      {video ? <Text testID="video-chosen">{t.videoChosen}</Text> : null}
      <Text style={styles.hint}>{t.videoHint(MAX_VIDEO_SECONDS)}</Text>
      {problem ? (
        <Text style={styles.problem} accessibilityRole="alert">
          {problem}
        </Text>
      ) : null}
      <View style={styles.actions}>
        <Pressable onPress={props.onCancel} style={styles.secondary} accessibilityRole="button">
          <Text style={styles.secondaryText}>{t.cancel}</Text>
        </Pressable>
        <Pressable
          onPress={() => void submit()}
          disabled={busy}
          style={styles.primary}
          accessibilityRole="button"
          testID="send-report"
        >
          <Text style={styles.primaryText}>{t.sendReport}</Text>
        </Pressable>
      </View>
      <Text style={styles.moderation} testID="report-moderation">
        {t.reportModeration}
      </Text>
      <Text style={styles.hint}>{t.reportOffline}</Text>
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
  moderation: { color: "#1f3b73", fontSize: 13 },
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
