/**
 * Expo configuration. The Halo API's base URL comes from EXPO_PUBLIC_HALO_API_URL at build
 * time (default: `make run`'s http://127.0.0.1:8000); the web build can also take `?api=`.
 * Plugins add the native permissions: location in the background (alerts), camera and photos
 * (reports), notifications, and MapLibre Native.
 */
import type { ConfigContext, ExpoConfig } from "expo/config";

const LOCATION_WHY =
  "Halo checks on your phone whether you are in an area with a higher reported incident rate. Your location is not sent anywhere.";

export default ({ config }: ConfigContext): ExpoConfig => ({
  ...config,
  name: "Halo",
  slug: "halo",
  version: "0.1.0",
  scheme: "halo",
  orientation: "portrait",
  userInterfaceStyle: "light",
  ios: {
    bundleIdentifier: "org.halo.app",
    infoPlist: { UIBackgroundModes: ["location"] },
  },
  android: {
    package: "org.halo.app",
    permissions: ["ACCESS_COARSE_LOCATION", "ACCESS_FINE_LOCATION", "ACCESS_BACKGROUND_LOCATION"],
    blockedPermissions: ["android.permission.RECORD_AUDIO"],
  },
  web: { output: "single", bundler: "metro", name: "Halo" },
  plugins: [
    "@maplibre/maplibre-react-native",
    [
      "expo-location",
      {
        locationWhenInUsePermission: LOCATION_WHY,
        locationAlwaysAndWhenInUsePermission: LOCATION_WHY,
        isIosBackgroundLocationEnabled: true,
        isAndroidBackgroundLocationEnabled: true,
        isAndroidForegroundServiceEnabled: true,
      },
    ],
    [
      "expo-image-picker",
      {
        photosPermission:
          "Attach a photo or a short video to an incident report. Location data is removed before it is stored.",
        // Videos are picked from the library, never recorded here: no microphone.
        microphonePermission: false,
        cameraPermission:
          "Take a photo for an incident report. Its location data is removed on the phone.",
      },
    ],
    "expo-notifications",
  ],
  extra: {
    haloApiUrl: process.env.EXPO_PUBLIC_HALO_API_URL ?? "http://127.0.0.1:8000",
    // Expo push tokens are issued per EAS project (`eas init` prints its id). Without it a
    // phone cannot register for push and the settings screen says so.
    ...(process.env.HALO_EAS_PROJECT_ID
      ? { eas: { projectId: process.env.HALO_EAS_PROJECT_ID } }
      : {}),
  },
});
