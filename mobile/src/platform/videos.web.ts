/**
 * Report videos in the web build: a file from the browser's picker, kept as a blob: URL for
 * this session only (a clip is too large for localStorage: a queued report keeps its video
 * until the page is closed). The server re-muxes it without metadata.
 */
import * as ImagePicker from "expo-image-picker";
import type { VideoPart } from "../api/reports";
import type { ReportVideo } from "../reports/reportDraft";

export async function pickVideo(maxSeconds: number): Promise<ReportVideo | null> {
  const result = await ImagePicker.launchImageLibraryAsync({
    mediaTypes: ["videos"],
    videoMaxDuration: maxSeconds,
  });
  const asset = result.canceled ? null : result.assets[0];
  if (!asset) return null;
  const durationS = typeof asset.duration === "number" ? asset.duration / 1000 : null;
  return { uri: asset.uri, mimeType: asset.mimeType ?? "video/mp4", durationS };
}

export const videoPart: VideoPart = async (video) => (await fetch(video.uri)).blob();

export async function deleteVideo(video: ReportVideo): Promise<void> {
  if (video.uri.startsWith("blob:")) URL.revokeObjectURL(video.uri);
}

// The web build offers what the phone build offers (checked by tsc, erased at run time).
import type * as PhoneBuild from "./videos.native";
({ pickVideo, videoPart, deleteVideo }) satisfies typeof PhoneBuild;
