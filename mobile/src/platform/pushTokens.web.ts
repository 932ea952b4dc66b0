/**
 * A browser has no Expo push token. The web build registers only when the page provides one
 * (`window.HALO_PUSH_TOKEN`, set by the browser test before the bundle loads): a stub for the
 * token alone; the registration requests are the real ones.
 */
import type { PushTokenProvider } from "../push/pushRegistration";

export const pushTokens: PushTokenProvider = {
  platform: "web",
  async requestPermission() {
    return true;
  },
  async token() {
    const stub = (globalThis as { HALO_PUSH_TOKEN?: unknown }).HALO_PUSH_TOKEN;
    return typeof stub === "string" ? stub : null;
  },
};

// The web build offers what the phone build offers (checked by tsc, erased at run time).
import type * as PhoneBuild from "./pushTokens.native";
({ pushTokens }) satisfies typeof PhoneBuild;
