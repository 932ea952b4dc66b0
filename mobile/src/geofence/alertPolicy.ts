/**
 * When an entered zone may notify: at most once per zone per cooldown, a daily cap, quiet
 * hours and a temporary mute. Pure functions over the persisted alert state.
 */

export interface QuietHours {
  /** Minutes after local midnight; a window may wrap past midnight (23:00 → 07:00). */
  startMinute: number;
  endMinute: number;
}

export interface AlertPolicy {
  perZoneCooldownMs: number;
  dailyCap: number;
  quietHours: QuietHours | null;
  muteDurationMs: number;
  /** Fixes less precise than this neither enter nor clear a zone: no alert from a guess. */
  maxAccuracyM: number;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

export const DEFAULT_QUIET_HOURS: QuietHours = { startMinute: 23 * 60, endMinute: 7 * 60 };

export const DEFAULT_POLICY: AlertPolicy = {
  perZoneCooldownMs: 30 * MINUTE_MS,
  dailyCap: 6,
  // Off by default: people may want alerts most at night; the settings screen turns it on.
  quietHours: null,
  muteDurationMs: HOUR_MS,
  maxAccuracyM: 200,
};

/** The local calendar day and time of an instant (the user's day, not UTC's). */
export interface LocalTime {
  day: string;
  minuteOfDay: number;
}
export type LocalClock = (ms: number) => LocalTime;

export const deviceLocalClock: LocalClock = (ms) => {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return {
    day: `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`,
    minuteOfDay: date.getHours() * 60 + date.getMinutes(),
  };
};

export interface AlertHistory {
  lastAlertMsByZone: Record<string, number>;
  alertsToday: { day: string; count: number };
  mutedUntilMs: number | null;
}

export type Suppression = "cooldown" | "daily_cap" | "quiet_hours" | "muted";

export function inQuietHours(quiet: QuietHours | null, minuteOfDay: number): boolean {
  if (!quiet || quiet.startMinute === quiet.endMinute) return false;
  if (quiet.startMinute < quiet.endMinute) {
    return quiet.startMinute <= minuteOfDay && minuteOfDay < quiet.endMinute;
  }
  return minuteOfDay >= quiet.startMinute || minuteOfDay < quiet.endMinute;
}

/** Why entering `zoneId` now must stay silent, or null when it may notify. */
export function suppressionOf(
  history: AlertHistory,
  zoneId: string,
  nowMs: number,
  policy: AlertPolicy,
  clock: LocalClock,
): Suppression | null {
  if (history.mutedUntilMs !== null && nowMs < history.mutedUntilMs) return "muted";
  const local = clock(nowMs);
  if (inQuietHours(policy.quietHours, local.minuteOfDay)) return "quiet_hours";
  const last = history.lastAlertMsByZone[zoneId];
  if (last !== undefined && nowMs - last < policy.perZoneCooldownMs) return "cooldown";
  const today = history.alertsToday.day === local.day ? history.alertsToday.count : 0;
  if (today >= policy.dailyCap) return "daily_cap";
  return null;
}

/** The history after an alert for `zoneId` was shown; old cooldowns are dropped. */
export function recordAlert<H extends AlertHistory>(
  history: H,
  zoneId: string,
  nowMs: number,
  policy: AlertPolicy,
  clock: LocalClock,
): H {
  const day = clock(nowMs).day;
  const count = history.alertsToday.day === day ? history.alertsToday.count + 1 : 1;
  const recent = Object.entries(history.lastAlertMsByZone).filter(
    ([, ms]) => nowMs - ms < policy.perZoneCooldownMs,
  );
  return {
    ...history,
    lastAlertMsByZone: { ...Object.fromEntries(recent), [zoneId]: nowMs },
    alertsToday: { day, count },
  };
}

export function muteFor<H extends AlertHistory>(history: H, nowMs: number, policy: AlertPolicy): H {
  return { ...history, mutedUntilMs: nowMs + policy.muteDurationMs };
}
