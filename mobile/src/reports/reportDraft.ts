/**
 * A report as the user composed it, before and while it waits in the outbox. Categories are
 * the server's (ref.incident_categories), with the words the app shows for them.
 */

import { strings } from "../i18n/language";
import type { Strings } from "../i18n/strings";

/** The categories a resident may report; their words are `categories` in i18n/strings.ts. */
export const REPORT_CATEGORIES = [
  { code: "violent" },
  { code: "weapons" },
  { code: "robbery" },
  { code: "theft" },
  { code: "vandalism" },
  { code: "drugs" },
  { code: "traffic" },
  { code: "fire" },
  { code: "other" },
] as const;

export type ReportCategory = (typeof REPORT_CATEGORIES)[number]["code"];

export interface ReportPhoto {
  /** file:// on a phone (a copy the app owns), data: on the web: both survive a restart. */
  uri: string;
  mimeType: string;
}

export interface ReportVideo {
  /** file:// on a phone (a copy the app owns); on the web a blob: URL of this session. */
  uri: string;
  mimeType: string;
  /** Length in seconds as the picker reported it, when it did. */
  durationS: number | null;
}

/** The server's default limit (HALO_REPORTS_VIDEO_MAX_SECONDS); it checks again itself. */
export const MAX_VIDEO_SECONDS = 30;

export interface ReportDraft {
  category: ReportCategory;
  /** When it happened, ISO 8601 in UTC. */
  occurredAt: string;
  lat: number;
  lon: number;
  accuracyM: number | null;
  text: string | null;
  photo: ReportPhoto | null;
  /** A short clip (absent in drafts queued before videos existed). */
  video?: ReportVideo | null;
  /** Made while an alert was active: the server weighs such reports down (feedback loop). */
  duringAlert: boolean;
}

export const MAX_TEXT_LENGTH = 1000;

/** What is wrong with a draft before it is queued, or null. */
export function draftProblem(
  draft: ReportDraft,
  nowMs: number,
  t: Strings = strings(),
): string | null {
  if (!REPORT_CATEGORIES.some((category) => category.code === draft.category)) {
    return t.problemCategory;
  }
  const when = Date.parse(draft.occurredAt);
  if (Number.isNaN(when)) return t.problemTime;
  if (when > nowMs + 5 * 60_000) return t.problemFuture;
  if (!(Math.abs(draft.lat) <= 90 && Math.abs(draft.lon) <= 180)) return t.problemPosition;
  if ((draft.text?.length ?? 0) > MAX_TEXT_LENGTH) {
    return t.problemText(MAX_TEXT_LENGTH);
  }
  return null;
}
