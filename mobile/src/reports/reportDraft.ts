/**
 * A report as the user composed it, before and while it waits in the outbox. Categories are
 * the server's (ref.incident_categories), with the words the app shows for them.
 */

export const REPORT_CATEGORIES = [
  { code: "violent", label: "Violence" },
  { code: "weapons", label: "Weapons" },
  { code: "robbery", label: "Robbery" },
  { code: "theft", label: "Theft" },
  { code: "vandalism", label: "Vandalism" },
  { code: "drugs", label: "Drugs" },
  { code: "traffic", label: "Traffic" },
  { code: "fire", label: "Fire" },
  { code: "other", label: "Other" },
] as const;

export type ReportCategory = (typeof REPORT_CATEGORIES)[number]["code"];

export interface ReportPhoto {
  /** file:// on a phone (a copy the app owns), data: on the web: both survive a restart. */
  uri: string;
  mimeType: string;
}

export interface ReportDraft {
  category: ReportCategory;
  /** When it happened, ISO 8601 in UTC. */
  occurredAt: string;
  lat: number;
  lon: number;
  accuracyM: number | null;
  text: string | null;
  photo: ReportPhoto | null;
  /** Made while an alert was active: the server weighs such reports down (feedback loop). */
  duringAlert: boolean;
}

export const MAX_TEXT_LENGTH = 1000;

/** What is wrong with a draft before it is queued, or null. */
export function draftProblem(draft: ReportDraft, nowMs: number): string | null {
  if (!REPORT_CATEGORIES.some((category) => category.code === draft.category)) {
    return "Choose a category.";
  }
  const when = Date.parse(draft.occurredAt);
  if (Number.isNaN(when)) return "The time is not valid.";
  if (when > nowMs + 5 * 60_000) return "The time is in the future.";
  if (!(Math.abs(draft.lat) <= 90 && Math.abs(draft.lon) <= 180)) return "Set the position.";
  if ((draft.text?.length ?? 0) > MAX_TEXT_LENGTH) {
    return `The text may be at most ${MAX_TEXT_LENGTH} characters.`;
  }
  return null;
}
