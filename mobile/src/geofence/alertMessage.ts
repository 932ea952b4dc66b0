/**
 * What an alert says. Plain words about a reported rate, never a judgement of a place:
 * "higher reported incident rate", not "dangerous"; no ranking of areas.
 */
import type { ThreatLevel } from "./zones";

export interface AlertMessage {
  title: string;
  body: string;
  categoryId: string;
}

export const MUTE_ACTION_ID = "mute-1h";
export const MUTE_ACTION_TITLE = "Mute 1 h";

/** One notification category per threat level, each with the "Mute 1 h" action. */
export const NOTIFICATION_CATEGORIES: Record<ThreatLevel, string> = {
  elevated: "halo-alert-elevated",
  high: "halo-alert-high",
};

export function alertMessage(level: ThreatLevel): AlertMessage {
  const rate = level === "high" ? "a much higher" : "a higher";
  return {
    title: "Higher reported incident rate nearby",
    body:
      `You are entering an area with ${rate} reported incident rate than the city average. ` +
      "Halo checked this on your phone; your location was not sent anywhere.",
    categoryId: NOTIFICATION_CATEGORIES[level],
  };
}
