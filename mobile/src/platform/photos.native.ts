/**
 * Report photos on a phone: taken or picked without EXIF (`exif: false`), then re-encoded by
 * expo-image-manipulator, which writes a fresh JPEG with no metadata at all (GPS included),
 * and copied into the app's documents so a queued report keeps its photo across restarts.
 */
import { Directory, File, Paths } from "expo-file-system";
import * as ImageManipulator from "expo-image-manipulator";
import * as ImagePicker from "expo-image-picker";
import type { PhotoPart } from "../api/reports";
import type { ReportPhoto } from "../reports/reportDraft";

export type PhotoSource = "camera" | "library";

/** Longest side after re-encoding: enough to see what happened, small enough to send. */
const MAX_SIDE_PX = 1600;
const PICKER_OPTIONS: ImagePicker.ImagePickerOptions = {
  mediaTypes: ["images"],
  exif: false,
  quality: 0.9,
};

async function granted(source: PhotoSource): Promise<boolean> {
  const response =
    source === "camera"
      ? await ImagePicker.requestCameraPermissionsAsync()
      : await ImagePicker.requestMediaLibraryPermissionsAsync();
  return response.granted;
}

/** Re-encode: the manipulator's output carries pixels only, no metadata. */
export async function stripMetadata(uri: string, width: number, height: number) {
  const context = ImageManipulator.ImageManipulator.manipulate(uri);
  if (Math.max(width, height) > MAX_SIDE_PX) {
    context.resize(width >= height ? { width: MAX_SIDE_PX } : { height: MAX_SIDE_PX });
  }
  const image = await context.renderAsync();
  return image.saveAsync({ format: ImageManipulator.SaveFormat.JPEG, compress: 0.8 });
}

function outboxPhotoDirectory(): Directory {
  const directory = new Directory(Paths.document, "outbox-photos");
  if (!directory.exists) directory.create({ idempotent: true, intermediates: true });
  return directory;
}

export async function pickPhoto(source: PhotoSource): Promise<ReportPhoto | null> {
  if (!(await granted(source))) return null;
  const result =
    source === "camera"
      ? await ImagePicker.launchCameraAsync(PICKER_OPTIONS)
      : await ImagePicker.launchImageLibraryAsync(PICKER_OPTIONS);
  const asset = result.canceled ? null : result.assets[0];
  if (!asset) return null;
  const clean = await stripMetadata(asset.uri, asset.width, asset.height);
  const kept = new File(outboxPhotoDirectory(), `${Date.now()}.jpg`);
  new File(clean.uri).move(kept);
  return { uri: kept.uri, mimeType: "image/jpeg" };
}

/** React Native's FormData reads the file itself from {uri, name, type}. */
export const photoPart: PhotoPart = async (photo) => ({
  uri: photo.uri,
  name: "report.jpg",
  type: photo.mimeType,
});

export async function deletePhoto(photo: ReportPhoto): Promise<void> {
  const file = new File(photo.uri);
  if (file.exists) file.delete();
}
