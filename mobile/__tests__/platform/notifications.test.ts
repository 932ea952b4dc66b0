import * as Notifications from "expo-notifications";
import { MUTE_ACTION_ID, NOTIFICATION_CATEGORIES } from "../../src/geofence/alertMessage";
import { notifier, onMuteAction, setUpNotifications } from "../../src/platform/notifications";
import { hotSpotZones } from "../support/zonesFixture";

jest.mock("expo-notifications", () => ({
  AndroidImportance: { HIGH: 4 },
  setNotificationHandler: jest.fn(),
  setNotificationChannelAsync: jest.fn(async () => null),
  setNotificationCategoryAsync: jest.fn(async () => null),
  scheduleNotificationAsync: jest.fn(async () => "id"),
  getLastNotificationResponseAsync: jest.fn(async () => null),
  addNotificationResponseReceivedListener: jest.fn(() => ({ remove: jest.fn() })),
}));
const mocked = jest.mocked(Notifications);

test("one notification category per threat level, each with a “Mute 1 h” action", async () => {
  await setUpNotifications();
  const calls = mocked.setNotificationCategoryAsync.mock.calls;
  expect(calls.map(([id]) => id).sort()).toEqual(Object.values(NOTIFICATION_CATEGORIES).sort());
  for (const [, actions] of calls) {
    expect(actions).toEqual([
      {
        identifier: MUTE_ACTION_ID,
        buttonTitle: "Mute 1 h",
        options: { opensAppToForeground: false },
      },
    ]);
  }
});

test("an alert is a local notification in its threat level's category", async () => {
  const zone = hotSpotZones().zones.find((candidate) => candidate.level === "alert")!;
  await notifier.notify(zone);
  const request = mocked.scheduleNotificationAsync.mock.calls[0]![0];
  expect(request.content).toMatchObject({
    title: "Higher reported incident rate nearby",
    categoryIdentifier: NOTIFICATION_CATEGORIES.elevated,
  });
  expect(JSON.stringify(request)).not.toMatch(/latitude|longitude|danger/i);
});

test("the mute action, and only it, mutes", () => {
  const onMute = jest.fn();
  onMuteAction(onMute);
  const listener = mocked.addNotificationResponseReceivedListener.mock.calls[0]![0];
  listener({
    actionIdentifier: "expo.modules.notifications.actions.DEFAULT",
  } as Notifications.NotificationResponse);
  expect(onMute).not.toHaveBeenCalled();
  listener({ actionIdentifier: MUTE_ACTION_ID } as Notifications.NotificationResponse);
  expect(onMute).toHaveBeenCalledTimes(1);
});
