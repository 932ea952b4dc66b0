/**
 * What an alert says. Plain words about a reported rate, never a judgement of a place:
 * "higher reported incident rate", not "dangerous"; no ranking of areas.
 */
import { strings } from "../i18n/language";
import type { Strings } from "../i18n/strings";
import type { ThreatLevel } from "./zones";

export interface AlertMessage {
  title: string;
  body: string;
  categoryId: string;
}

export const MUTE_ACTION_ID = "mute-1h";
/** The action's title in the language of the moment the categories are set up. */
export const muteActionTitle = (t: Strings = strings()) => t.mute;

/** One notification category per threat level, each with the "Mute 1 h" action. */
export const NOTIFICATION_CATEGORIES: Record<ThreatLevel, string> = {
  elevated: "halo-alert-elevated",
  high: "halo-alert-high",
};

export function alertMessage(level: ThreatLevel, t: Strings = strings()): AlertMessage {
  return {
    title: t.alertTitle,
    body: t.alertBody(level === "high"),
    categoryId: NOTIFICATION_CATEGORIES[level],
  };
}
