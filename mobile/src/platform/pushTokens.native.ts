/**
 * The phone's push token for Halo's registration: expo-notifications' Expo push token, for
 * the EAS project id in app.config.ts (`extra.eas.projectId`, set by `eas init`).
 */
import Constants from "expo-constants";
import * as Notifications from "expo-notifications";
import { Platform } from "react-native";
import type { PushTokenProvider } from "../push/pushRegistration";
import { requestNotificationPermission } from "./notifications";

function projectId(): string | undefined {
  const extra = Constants.expoConfig?.extra as { eas?: { projectId?: unknown } } | undefined;
  const id = extra?.eas?.projectId ?? Constants.easConfig?.projectId;
  return typeof id === "string" ? id : undefined;
}

export const pushTokens: PushTokenProvider = {
  platform: Platform.OS === "ios" ? "ios" : "android",
  requestPermission: requestNotificationPermission,
  async token() {
    const id = projectId();
    const answer = await Notifications.getExpoPushTokenAsync(id ? { projectId: id } : {});
    return answer.data;
  },
};
