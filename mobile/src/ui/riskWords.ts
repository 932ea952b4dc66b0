/**
 * The map's numbers in plain words. A score is about a *reported* rate against the city's,
 * with its uncertainty; words never call a place dangerous, and nothing ranks places.
 */
import type { Evidence } from "../api/types";

/** The legend's colour steps, as /style.json colours risk_score (api/tiles/tilejson.py). */
export const LEGEND_STEPS = [
  { colour: "#ffffcc", words: "Not clearly above the city rate" },
  { colour: "#fd8d3c", words: "Somewhat higher reported incident rate" },
  { colour: "#e31a1c", words: "Higher reported incident rate (alert level)" },
] as const;

export function windowWords(windowDays: number | null): string {
  if (windowDays === null) return "recent months";
  if (windowDays % 365 === 0)
    return windowDays === 365 ? "last 12 months" : `last ${windowDays / 365} years`;
  if (windowDays % 7 === 0 && windowDays <= 84) return `last ${windowDays / 7} weeks`;
  return `last ${windowDays} days`;
}

export function legendTitle(windowDays: number | null): string {
  return `Reported incident rate compared with the city average, ${windowWords(windowDays)}`;
}

export function scoreWords(score: number | null | undefined): string {
  if (score === null || score === undefined) return "No estimate yet";
  if (score >= 0.6)
    return "Higher reported incident rate (at least 1.5× the city rate, with confidence)";
  if (score >= 0.5) return "Somewhat higher reported incident rate than the city average";
  return "Not clearly above the city average";
}

export const EVIDENCE_WORDS: Record<Evidence, string> = {
  point: "from exactly located incidents",
  inferred: "inferred: spread from incidents known only to the district",
  none: "no incidents reported here",
};

export function evidenceWords(evidence: unknown): string {
  return typeof evidence === "string" && evidence in EVIDENCE_WORDS
    ? EVIDENCE_WORDS[evidence as Evidence]
    : "unknown";
}

const times = (value: number) => `${value.toFixed(1)}×`;

/** "1.8× the city rate (likely 1.2×–2.6×)", or null without numbers. */
export function relativeRateWords(rr: unknown, lower: unknown, upper: unknown): string | null {
  if (typeof rr !== "number") return null;
  const range =
    typeof lower === "number" && typeof upper === "number"
      ? ` (likely ${times(lower)}–${times(upper)})`
      : "";
  return `${times(rr)} the city rate${range}`;
}

export function trendWords(trend: unknown): string | null {
  if (typeof trend !== "number") return null;
  if (trend > 1.2) return "more reports recently than before";
  if (trend < 0.8) return "fewer reports recently than before";
  return "about as many reports recently as before";
}
