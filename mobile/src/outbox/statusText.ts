/** The words of the outbox status pill ("Offline • 1 queued", "Syncing 2/3", "All sent"). */

export interface OutboxStatus {
  online: boolean;
  queued: number;
  /** The report being sent (1-based) of the current batch. */
  syncing: { index: number; total: number } | null;
  sent: number;
  rejected: number;
}

/** The pill's text, or null when there is nothing to say (no report made yet). */
export function statusPillText(status: OutboxStatus): string | null {
  if (status.syncing) return `Syncing ${status.syncing.index}/${status.syncing.total}`;
  if (!status.online) return status.queued > 0 ? `Offline • ${status.queued} queued` : "Offline";
  if (status.queued > 0) return `Waiting to send • ${status.queued} queued`;
  if (status.rejected > 0) return `${status.rejected} not accepted`;
  if (status.sent > 0) return "All sent";
  return null;
}
