/**
 * Report photos in the web build: picked from a file, re-encoded through a canvas by
 * expo-image-manipulator (no EXIF survives), kept as a data: URL so a queued report keeps
 * its photo across reloads (AsyncStorage is localStorage here).
 */
import * as ImageManipulator from "expo-image-manipulator";
import * as ImagePicker from "expo-image-picker";
import type { PhotoPart } from "../api/reports";
import type { ReportPhoto } from "../reports/reportDraft";

export type PhotoSource = "camera" | "library";

const MAX_SIDE_PX = 1280;

export async function stripMetadata(uri: string, width: number, height: number) {
  const context = ImageManipulator.ImageManipulator.manipulate(uri);
  if (Math.max(width, height) > MAX_SIDE_PX) {
    context.resize(width >= height ? { width: MAX_SIDE_PX } : { height: MAX_SIDE_PX });
  }
  const image = await context.renderAsync();
  return image.saveAsync({ format: ImageManipulator.SaveFormat.JPEG, compress: 0.8, base64: true });
}

export async function pickPhoto(_source: PhotoSource): Promise<ReportPhoto | null> {
  const result = await ImagePicker.launchImageLibraryAsync({ mediaTypes: ["images"], exif: false });
  const asset = result.canceled ? null : result.assets[0];
  if (!asset) return null;
  const clean = await stripMetadata(asset.uri, asset.width, asset.height);
  const uri = clean.base64 ? `data:image/jpeg;base64,${clean.base64}` : clean.uri;
  return { uri, mimeType: "image/jpeg" };
}

export const photoPart: PhotoPart = async (photo) => (await fetch(photo.uri)).blob();

export async function deletePhoto(_photo: ReportPhoto): Promise<void> {}

// The web build offers what the phone build offers (checked by tsc, erased at run time).
import type * as PhoneBuild from "./photos.native";
({ stripMetadata, pickPhoto, photoPart, deletePhoto }) satisfies typeof PhoneBuild;
