import * as Notifications from "expo-notifications";
import { pushTokens } from "../../src/platform/pushTokens";
import { pushTokens as webPushTokens } from "../../src/platform/pushTokens.web";

jest.mock("expo-notifications", () => ({
  getPermissionsAsync: jest.fn(async () => ({ granted: false })),
  requestPermissionsAsync: jest.fn(async () => ({ granted: true })),
  getExpoPushTokenAsync: jest.fn(async () => ({
    type: "expo",
    data: "ExponentPushToken[phone-token-0001]",
  })),
}));
jest.mock("expo-constants", () => ({
  __esModule: true,
  default: { expoConfig: { extra: { eas: { projectId: "0b0e-halo-project" } } } },
}));
const mocked = jest.mocked(Notifications);

test("on a phone: the OS is asked, then Expo's token for the project is used", async () => {
  expect(await pushTokens.requestPermission()).toBe(true);
  expect(mocked.requestPermissionsAsync).toHaveBeenCalledTimes(1);
  expect(await pushTokens.token()).toBe("ExponentPushToken[phone-token-0001]");
  expect(mocked.getExpoPushTokenAsync).toHaveBeenCalledWith({ projectId: "0b0e-halo-project" });
  expect(["ios", "android"]).toContain(pushTokens.platform);
});

test("in a browser: no token unless the page provides one", async () => {
  const holder = globalThis as { HALO_PUSH_TOKEN?: unknown };
  delete holder.HALO_PUSH_TOKEN;
  expect(await webPushTokens.token()).toBeNull();
  holder.HALO_PUSH_TOKEN = "ExponentPushToken[from-the-page]";
  expect(await webPushTokens.token()).toBe("ExponentPushToken[from-the-page]");
  expect(webPushTokens.platform).toBe("web");
  delete holder.HALO_PUSH_TOKEN;
});
