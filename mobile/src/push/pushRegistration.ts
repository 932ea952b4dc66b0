/**
 * Push messages about followed districts: the user's choices on the device, and the server's
 * registration kept in step with them. Turning push on asks the OS for permission (after the
 * screen has said why), gets the push token and registers; changes are sent with PUT; turning
 * it off unregisters (DELETE) and forgets the device secret.
 */
import {
  type DeviceRegistration,
  type DevicesApi,
  MAX_FOLLOWED_DISTRICTS,
  type PushPreferences,
  type PushThreatLevel,
} from "../api/devices";
import type { Language } from "../i18n/strings";
import { type KeyValueStore, readJson, writeJson } from "../storage/keyValueStore";

export interface PushSettings {
  enabled: boolean;
  followed: number[];
  threatLevels: PushThreatLevel[];
  /** 22:00–07:00 Stockholm time when on. */
  quietHours: boolean;
}

export const DEFAULT_PUSH_SETTINGS: PushSettings = {
  enabled: false,
  followed: [],
  threatLevels: ["critical", "high"],
  quietHours: false,
};
export const PUSH_QUIET_HOURS = { start: "22:00", end: "07:00" };
export const PUSH_SETTINGS_KEY = "halo.settings.push.v1";
export const PUSH_DEVICE_KEY = "halo.push.device.v1";

/** The OS side: permission and the Expo push token (a stub in a browser without one). */
export interface PushTokenProvider {
  platform: PushPreferences["platform"];
  requestPermission(): Promise<boolean>;
  /** The Expo push token, or null when this device cannot have one. */
  token(): Promise<string | null>;
}

export type PushOutcome = "on" | "off" | "denied" | "no-token" | "failed";

export function preferencesFor(
  settings: PushSettings,
  platform: PushPreferences["platform"],
  language: Language,
): PushPreferences {
  return {
    platform,
    language,
    followed_district_ids: settings.followed.slice(0, MAX_FOLLOWED_DISTRICTS),
    threat_levels: settings.threatLevels,
    quiet_hours: settings.quietHours ? PUSH_QUIET_HOURS : null,
  };
}

export class PushRegistration {
  constructor(
    private readonly deps: {
      store: KeyValueStore;
      api: DevicesApi;
      tokens: PushTokenProvider;
      language: () => Language;
    },
  ) {}

  async settings(): Promise<PushSettings> {
    return {
      ...DEFAULT_PUSH_SETTINGS,
      ...(await readJson(this.deps.store, PUSH_SETTINGS_KEY, {})),
    };
  }

  device(): Promise<DeviceRegistration | null> {
    return readJson<DeviceRegistration | null>(this.deps.store, PUSH_DEVICE_KEY, null);
  }

  /**
   * Make the server match `next`: register (or update) when enabled, unregister when not.
   * The settings are saved only when the server agreed, so the screen never shows a state
   * the server does not have.
   */
  async apply(next: PushSettings): Promise<PushOutcome> {
    const { store, api, tokens } = this.deps;
    const device = await this.device();
    if (!next.enabled) {
      try {
        if (device) await api.unregister(device);
      } catch {
        return "failed";
      }
      await store.removeItem(PUSH_DEVICE_KEY);
      await writeJson(store, PUSH_SETTINGS_KEY, next);
      return "off";
    }
    if (!(await tokens.requestPermission())) return "denied";
    const token = await tokens.token().catch(() => null);
    if (!token) return "no-token";
    const preferences = preferencesFor(next, tokens.platform, this.deps.language());
    try {
      if (device) {
        try {
          await api.update(device, token, preferences);
        } catch (error) {
          // The server forgot the device (or its secret): register afresh.
          if ((error as { status?: number }).status !== 404) throw error;
          await writeJson(store, PUSH_DEVICE_KEY, await api.register(token, preferences));
        }
      } else {
        await writeJson(store, PUSH_DEVICE_KEY, await api.register(token, preferences));
      }
    } catch {
      return "failed";
    }
    await writeJson(store, PUSH_SETTINGS_KEY, next);
    return "on";
  }
}
