/**
 * Push registration (api/routes/devices.py, docs/push.md): POST /api/v1/devices registers a
 * token with the device's preferences and answers a device id and a secret, once; PUT
 * replaces token and preferences, DELETE unregisters, both with `Authorization: Bearer`.
 * The server learns the followed districts, never a position.
 */
import { type FetchLike, errorFrom, fetchWithTimeout } from "./http";

export type PushThreatLevel = "critical" | "high" | "info";

export interface PushPreferences {
  platform: "ios" | "android" | "web";
  language: "sv" | "en";
  followed_district_ids: number[];
  threat_levels: PushThreatLevel[];
  quiet_hours: { start: string; end: string } | null;
}

export interface DeviceRegistration {
  device_id: string;
  device_secret: string;
}

export const MAX_FOLLOWED_DISTRICTS = 3;

export class DevicesApi {
  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl?: FetchLike,
  ) {}

  private body(token: string, preferences: PushPreferences): string {
    return JSON.stringify({ expo_push_token: token, ...preferences });
  }

  async register(token: string, preferences: PushPreferences): Promise<DeviceRegistration> {
    const response = await fetchWithTimeout(
      `${this.baseUrl}/api/v1/devices`,
      {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: this.body(token, preferences),
      },
      undefined,
      this.fetchImpl,
    );
    if (response.status !== 201) throw await errorFrom(response);
    const answer = (await response.json()) as DeviceRegistration;
    return { device_id: answer.device_id, device_secret: answer.device_secret };
  }

  async update(
    device: DeviceRegistration,
    token: string,
    preferences: PushPreferences,
  ): Promise<void> {
    const response = await fetchWithTimeout(
      `${this.baseUrl}/api/v1/devices/${encodeURIComponent(device.device_id)}`,
      {
        method: "PUT",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          Authorization: `Bearer ${device.device_secret}`,
        },
        body: this.body(token, preferences),
      },
      undefined,
      this.fetchImpl,
    );
    if (!response.ok) throw await errorFrom(response);
  }

  /** Unregister; a device the server no longer knows (404) is already gone. */
  async unregister(device: DeviceRegistration): Promise<void> {
    const response = await fetchWithTimeout(
      `${this.baseUrl}/api/v1/devices/${encodeURIComponent(device.device_id)}`,
      { method: "DELETE", headers: { Authorization: `Bearer ${device.device_secret}` } },
      undefined,
      this.fetchImpl,
    );
    if (response.status !== 204 && response.status !== 404) throw await errorFrom(response);
  }
}
