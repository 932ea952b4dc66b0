/**
 * Report videos on a phone: picked (or recorded) with the system picker, at most the server's
 * length, and copied into the app's documents so a queued report keeps it across restarts.
 * The phone does not re-encode video: the server re-muxes it without metadata (ffmpeg).
 */
import { Directory, File, Paths } from "expo-file-system";
import * as ImagePicker from "expo-image-picker";
import type { VideoPart } from "../api/reports";
import type { ReportVideo } from "../reports/reportDraft";

function outboxVideoDirectory(): Directory {
  const directory = new Directory(Paths.document, "outbox-videos");
  if (!directory.exists) directory.create({ idempotent: true, intermediates: true });
  return directory;
}

export async function pickVideo(maxSeconds: number): Promise<ReportVideo | null> {
  if (!(await ImagePicker.requestMediaLibraryPermissionsAsync()).granted) return null;
  const result = await ImagePicker.launchImageLibraryAsync({
    mediaTypes: ["videos"],
    videoMaxDuration: maxSeconds,
    exif: false,
  });
  const asset = result.canceled ? null : result.assets[0];
  if (!asset) return null;
  const extension = asset.mimeType === "video/quicktime" ? "mov" : "mp4";
  const kept = new File(outboxVideoDirectory(), `${Date.now()}.${extension}`);
  new File(asset.uri).copy(kept);
  const durationS = typeof asset.duration === "number" ? asset.duration / 1000 : null;
  return { uri: kept.uri, mimeType: asset.mimeType ?? "video/mp4", durationS };
}

export const videoPart: VideoPart = async (video) => ({
  uri: video.uri,
  name: video.mimeType === "video/quicktime" ? "report.mov" : "report.mp4",
  type: video.mimeType,
});

export async function deleteVideo(video: ReportVideo): Promise<void> {
  const file = new File(video.uri);
  if (file.exists) file.delete();
}
