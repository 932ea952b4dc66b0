/**
 * `window.halo` in the web build: the map, the outbox and the geofence state, for the browser
 * test and for a developer's console. Read-only views; nothing here changes app state.
 */
import { Platform } from "react-native";

type Handle = Record<string, unknown>;

export function expose(name: string, value: unknown): void {
  if (Platform.OS !== "web" || typeof window === "undefined") return;
  const holder = window as unknown as { halo?: Handle };
  holder.halo = { ...(holder.halo ?? {}), [name]: value };
}
