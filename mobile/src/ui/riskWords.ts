/**
 * The map's numbers in plain words. A score is about a *reported* rate against the city's,
 * with its uncertainty; words never call a place dangerous, and nothing ranks places. The
 * classes and thresholds are the server's (GET /api/v1/legend), with built-in fallbacks.
 */
import type { Evidence } from "../api/types";
import { BUILT_IN_LEGEND, type Legend } from "../api/legend";
import { strings } from "../i18n/language";
import type { Language, Strings } from "../i18n/strings";

export function windowWords(windowDays: number | null, t: Strings = strings()): string {
  if (windowDays === null) return t.windowRecent;
  if (windowDays % 365 === 0) return t.windowYears(windowDays / 365);
  if (windowDays % 7 === 0 && windowDays <= 84) return t.windowWeeks(windowDays / 7);
  return t.windowDays(windowDays);
}

export function legendTitle(windowDays: number | null, t: Strings = strings()): string {
  return t.legendTitle(windowWords(windowDays, t));
}

/** The legend's rows: the server's classes in the current language. */
export function legendRows(
  legend: Legend,
  language: Language,
): { colour: string; opacity: number; words: string }[] {
  return legend.classes.map((step) => ({
    colour: step.color,
    opacity: step.opacity,
    words: step.label[language],
  }));
}

/**
 * A score in words. Below the alert level but with a relative rate clearly above 1 the
 * words say the rate is above the city's yet uncertain, so "not clearly above" never stands
 * beside "3.0× the city rate".
 */
export function scoreWords(
  score: number | null | undefined,
  relativeRate: unknown = null,
  legend: Pick<Legend, "thresholds"> = BUILT_IN_LEGEND,
  t: Strings = strings(),
): string {
  if (score === null || score === undefined) return t.noEstimate;
  if (score >= legend.thresholds.alert_enter) return t.scoreHigh;
  if (score >= legend.thresholds.alert_clear) return t.scoreSomewhat;
  if (typeof relativeRate === "number" && relativeRate >= 1.2) return t.scoreUncertainAbove;
  return t.scoreNotClear;
}

export function evidenceWords(evidence: unknown, t: Strings = strings()): string {
  const words: Record<Evidence, string> = {
    point: t.evidencePoint,
    inferred: t.evidenceInferred,
    none: t.evidenceNone,
  };
  return typeof evidence === "string" && evidence in words
    ? words[evidence as Evidence]
    : t.evidenceUnknown;
}

/** "1.8× the city rate (likely 1.2×–2.6×)", or null without numbers. */
export function relativeRateWords(
  rr: unknown,
  lower: unknown,
  upper: unknown,
  t: Strings = strings(),
): string | null {
  if (typeof rr !== "number") return null;
  const bounded = typeof lower === "number" && typeof upper === "number";
  return t.relativeRate(rr, bounded ? lower : null, bounded ? upper : null);
}

export function trendWords(trend: unknown, t: Strings = strings()): string | null {
  if (typeof trend !== "number") return null;
  if (trend > 1.2) return t.trendUp;
  if (trend < 0.8) return t.trendDown;
  return t.trendFlat;
}
