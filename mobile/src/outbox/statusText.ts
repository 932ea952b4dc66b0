/** The words of the outbox status pill ("Offline • 1 queued", "Syncing 2/3", "All sent"). */
import { strings } from "../i18n/language";
import type { Strings } from "../i18n/strings";

export interface OutboxStatus {
  online: boolean;
  queued: number;
  /** The report being sent (1-based) of the current batch. */
  syncing: { index: number; total: number } | null;
  sent: number;
  rejected: number;
}

/** The pill's text, or null when there is nothing to say (no report made yet). */
export function statusPillText(status: OutboxStatus, t: Strings = strings()): string | null {
  if (status.syncing) return t.pillSyncing(status.syncing.index, status.syncing.total);
  if (!status.online) return status.queued > 0 ? t.pillOfflineQueued(status.queued) : t.pillOffline;
  if (status.queued > 0) return t.pillWaiting(status.queued);
  if (status.rejected > 0) return t.pillRejected(status.rejected);
  if (status.sent > 0) return t.pillAllSent;
  return null;
}
