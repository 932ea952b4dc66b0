/** The API base URL of this running app (see apiBaseUrl.ts for the order of sources). */
import Constants from "expo-constants";
import { Platform } from "react-native";
import { resolveApiBaseUrl } from "./apiBaseUrl";

declare const process: { env: Record<string, string | undefined> };

let resolved: string | null = null;

export function apiBaseUrl(): string {
  if (resolved === null) {
    const web = Platform.OS === "web" && typeof window !== "undefined";
    resolved = resolveApiBaseUrl({
      search: web ? window.location.search : null,
      globalUrl: web ? (window as unknown as { HALO_API_URL?: unknown }).HALO_API_URL : undefined,
      // Must be written out in full: Expo inlines EXPO_PUBLIC_* variables by their literal name.
      buildUrl: process.env.EXPO_PUBLIC_HALO_API_URL ?? null,
      configUrl: Constants.expoConfig?.extra?.haloApiUrl,
    });
  }
  return resolved;
}
