"""`halo push receipts`: ask Expo what became of sent messages; forget devices that are gone.

A receipt is ready about 15 minutes after sending and kept about a day. ok -> 'delivered';
DeviceNotRegistered -> the device is removed with everything about it; another error ->
'failed' with its code; no receipt a day later -> left 'sent', marked receipt_missing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass

import psycopg

from config.push import PushSettings
from pipeline.jobs import recorded_job
from pipeline.push.expo import (
    ExpoPushTransport,
    PushCredentialsRejected,
    PushServiceError,
    PushTransport,
    Receipt,
)

log = logging.getLogger("halo.push.receipts")

DEVICE_GONE = "DeviceNotRegistered"
# Enough for a run: 20 requests of 1000 ids; the rest waits for the next run.
MAX_RECEIPTS_PER_RUN = 20_000

AWAITING_SQL = "SELECT * FROM push.messages_awaiting_receipt(%s, %s, %s)"
DELIVERED_SQL = "SELECT push.mark_delivered(%s::bigint[])"
FAILED_SQL = "SELECT push.mark_failed(%s::bigint[], %s::text[])"
MISSING_SQL = "SELECT push.mark_receipt_missing(%s::bigint[])"
REMOVE_DEVICES_SQL = "SELECT push.remove_devices(%s::uuid[])"


@dataclass
class ReceiptSummary:
    """What one receipts run found."""

    checked: int = 0
    delivered: int = 0
    failed: int = 0
    missing: int = 0
    devices_removed: int = 0

    def line(self) -> str:
        """One line for a terminal or a log."""
        return ", ".join(
            f"{name.replace('_', ' ')} {value}" for name, value in asdict(self).items()
        )


@dataclass(frozen=True)
class AwaitingReceipt:
    """A sent message whose receipt is due."""

    outbox_id: int
    device_id: uuid.UUID
    ticket_id: str
    overdue: bool


def _count(conn: psycopg.Connection, query: str, params: tuple[object, ...]) -> int:
    row = conn.execute(query, params).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def record_receipts(
    conn: psycopg.Connection,
    awaiting: list[AwaitingReceipt],
    receipts: dict[str, Receipt],
    summary: ReceiptSummary,
) -> None:
    """Settle one chunk of sent messages from the receipts Expo returned for them."""
    delivered, failed, missing, gone = [], [], [], set()
    for message in awaiting:
        receipt = receipts.get(message.ticket_id)
        if receipt is None:
            if message.overdue:
                missing.append(message.outbox_id)
        elif receipt.ok:
            delivered.append(message.outbox_id)
        elif receipt.error == DEVICE_GONE:
            gone.add(message.device_id)
        else:
            failed.append((message.outbox_id, receipt.error or "unknown_error"))
    summary.checked += len(awaiting)
    if delivered:
        summary.delivered += _count(conn, DELIVERED_SQL, (delivered,))
    if failed:
        summary.failed += _count(
            conn, FAILED_SQL, ([i for i, _ in failed], [code for _, code in failed])
        )
    if missing:
        summary.missing += _count(conn, MISSING_SQL, (missing,))
    if gone:
        summary.devices_removed += _count(conn, REMOVE_DEVICES_SQL, (list(gone),))


def check_receipts(
    owner_url: str, settings: PushSettings, transport: PushTransport | None = None
) -> ReceiptSummary:
    """Fetch the receipts that are due and settle their messages; recorded as a
    'push_receipts' job run. A busy service leaves the rest for the next run."""
    summary = ReceiptSummary()
    with (
        recorded_job(owner_url, "push_receipts") as run,
        psycopg.connect(owner_url, autocommit=True) as conn,
    ):
        cur = conn.execute(
            AWAITING_SQL,
            (settings.receipt_delay_s, settings.receipt_give_up_s, MAX_RECEIPTS_PER_RUN),
        )
        awaiting = [AwaitingReceipt(*row) for row in cur.fetchall()]
        active = transport or ExpoPushTransport(settings)
        try:
            size = settings.receipt_batch_size
            for chunk in (awaiting[i : i + size] for i in range(0, len(awaiting), size)):
                try:
                    receipts = active.receipts([m.ticket_id for m in chunk])
                except PushCredentialsRejected:
                    raise
                except PushServiceError as exc:
                    log.warning("push receipts postponed (%s)", exc.code)
                    break
                record_receipts(conn, chunk, receipts, summary)
        finally:
            if transport is None:
                active.close()
        run.rows = summary.checked
        run.details = asdict(summary)
    log.info("push receipts: %s", summary.line())
    return summary
