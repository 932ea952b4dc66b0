/**
 * Alerts as local notifications (expo-notifications): one category per threat level, each
 * with a "Mute 1 h" action that works without opening the app. Nothing goes to a push server.
 */
import * as Notifications from "expo-notifications";
import {
  MUTE_ACTION_ID,
  NOTIFICATION_CATEGORIES,
  alertMessage,
  muteActionTitle,
} from "../geofence/alertMessage";
import type { AlertNotifier } from "../geofence/geofenceService";
import { strings } from "../i18n/language";

const ANDROID_CHANNEL = "halo-alerts";

export async function setUpNotifications(): Promise<void> {
  Notifications.setNotificationHandler({
    handleNotification: async () => ({
      shouldShowBanner: true,
      shouldShowList: true,
      shouldPlaySound: true,
      shouldSetBadge: false,
    }),
  });
  await Notifications.setNotificationChannelAsync(ANDROID_CHANNEL, {
    name: strings().alertChannel,
    importance: Notifications.AndroidImportance.HIGH,
  });
  for (const categoryId of Object.values(NOTIFICATION_CATEGORIES)) {
    await Notifications.setNotificationCategoryAsync(categoryId, [
      {
        identifier: MUTE_ACTION_ID,
        buttonTitle: muteActionTitle(),
        options: { opensAppToForeground: false },
      },
    ]);
  }
}

export async function requestNotificationPermission(): Promise<boolean> {
  const current = await Notifications.getPermissionsAsync();
  if (current.granted) return true;
  return (await Notifications.requestPermissionsAsync()).granted;
}

export const notifier: AlertNotifier = {
  async notify(zone) {
    const message = alertMessage(zone.threatLevel);
    await Notifications.scheduleNotificationAsync({
      content: {
        title: message.title,
        body: message.body,
        categoryIdentifier: message.categoryId,
        data: { zoneId: zone.id },
      },
      trigger: { channelId: ANDROID_CHANNEL },
    });
  },
};

/** Calls `onMute` when the "Mute 1 h" action is chosen (also the one that launched the app). */
export function onMuteAction(onMute: () => void): () => void {
  const handle = (response: Notifications.NotificationResponse | null) => {
    if (response?.actionIdentifier === MUTE_ACTION_ID) onMute();
  };
  void Notifications.getLastNotificationResponseAsync().then(handle);
  const subscription = Notifications.addNotificationResponseReceivedListener(handle);
  return () => subscription.remove();
}
