"""`halo push dispatch`: queue new messages in the outbox, then send what is due.

Queueing is SQL (push.enqueue_*): one row per device and event or generation, so a message
is queued once however often dispatch runs. Sending claims rows (committed as 'sending')
before the HTTP request and settles them from the answer: accepted -> 'sent'; refused as a
whole (429, 5xx, unreachable) -> 'pending' again after a backoff; an answer lost after the
request went out -> 'failed', never resent. So a retried dispatch sends nothing twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import class_row

from config.push import PushSettings
from core.device_tokens import TokenSealer, TokenUnreadable, token_sealer
from pipeline.jobs import recorded_job
from pipeline.push.expo import (
    ExpoPushTransport,
    PushCredentialsRejected,
    PushMessage,
    PushOutcomeUnknown,
    PushRequestRejected,
    PushServiceBusy,
    PushTransport,
    Ticket,
)
from pipeline.push.messages import ClaimedMessage, render

log = logging.getLogger("halo.push.dispatch")

DEVICE_GONE = "DeviceNotRegistered"
# Per-message errors worth another try: the device got too many messages too fast.
RETRYABLE_TICKET_ERRORS = frozenset({"MessageRateExceeded"})

ENQUEUE_INCIDENTS_SQL = (
    "SELECT queued, suppressed FROM push.enqueue_incident_messages(%s, %s, %s, %s, %s, %s, %s)"
)
ENQUEUE_REFRESH_SQL = "SELECT push.enqueue_refresh_messages(%s::timestamptz)"
SETTLE_SQL = "SELECT push.settle_stale_messages(%s, %s)"
CLAIM_SQL = "SELECT * FROM push.claim_due_messages(%s, %s)"
MARK_SENT_SQL = "SELECT push.mark_sent(%s::bigint[], %s::text[])"
MARK_FAILED_SQL = "SELECT push.mark_failed(%s::bigint[], %s::text[])"
MARK_RETRY_SQL = "SELECT push.mark_for_retry(%s::bigint[], %s, %s, %s, %s, %s)"
REMOVE_DEVICES_SQL = "SELECT push.remove_devices(%s::uuid[])"


@dataclass
class DispatchSummary:
    """What one dispatch did: rows queued and suppressed, messages sent, retried, failed."""

    settled: int = 0
    queued: int = 0
    suppressed: int = 0
    refreshes: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    devices_removed: int = 0

    def line(self) -> str:
        """One line for a terminal or a log."""
        return ", ".join(
            f"{name.replace('_', ' ')} {value}" for name, value in asdict(self).items()
        )


def _scalar(conn: psycopg.Connection, query: str, params: Sequence[object]) -> int:
    row = conn.execute(query, params).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def enqueue_messages(
    conn: psycopg.Connection,
    settings: PushSettings,
    at: datetime | None,
    summary: DispatchSummary,
) -> None:
    """Queue incident messages (quiet hours and caps applied) and the generation's refresh,
    as of `at` (None: the database's now)."""
    row = conn.execute(
        ENQUEUE_INCIDENTS_SQL,
        (
            at,
            settings.max_event_age_s,
            settings.daily_cap,
            settings.local_timezone,
            settings.critical_min_severity,
            settings.high_min_severity,
            settings.info_min_severity,
        ),
    ).fetchone()
    assert row is not None
    summary.queued += row[0]
    summary.suppressed += row[1]
    summary.refreshes += _scalar(conn, ENQUEUE_REFRESH_SQL, (at,))


def claim_due(conn: psycopg.Connection, settings: PushSettings) -> list[ClaimedMessage]:
    """Claim the next batch of due messages (committed as 'sending' before anything is sent)."""
    cur = conn.cursor(row_factory=class_row(ClaimedMessage))
    return cur.execute(CLAIM_SQL, (settings.batch_size, settings.sending_lease_s)).fetchall()


def send_due_messages(
    conn: psycopg.Connection,
    settings: PushSettings,
    transport: PushTransport,
    summary: DispatchSummary,
) -> None:
    """Send due messages batch by batch until none is due or the service asks to wait."""
    sealer = token_sealer(settings.token_key_bytes())
    tz = ZoneInfo(settings.local_timezone)
    while batch := claim_due(conn, settings):
        if not _send_batch(conn, settings, transport, sealer, tz, batch, summary):
            break


def _send_batch(
    conn: psycopg.Connection,
    settings: PushSettings,
    transport: PushTransport,
    sealer: TokenSealer,
    tz: ZoneInfo,
    batch: list[ClaimedMessage],
    summary: DispatchSummary,
) -> bool:
    """Send one claimed batch and record the outcome; False when the service is busy."""
    now = datetime.now(UTC)
    ready: list[tuple[ClaimedMessage, PushMessage]] = []
    unsendable: list[tuple[int, str]] = []
    for claimed in batch:
        try:
            message = render(claimed, sealer.open(claimed.token_sealed, claimed.device_id), now, tz)
        except TokenUnreadable:
            unsendable.append((claimed.outbox_id, "token_unreadable"))
            continue
        if message is None:
            unsendable.append((claimed.outbox_id, "unsupported_kind"))
        else:
            ready.append((claimed, message))
    _mark_failed(conn, unsendable, summary)
    if not ready:
        return True
    ids = [claimed.outbox_id for claimed, _ in ready]
    try:
        tickets = transport.send([message for _, message in ready])
    except PushServiceBusy as exc:
        _retry(conn, settings, ids, exc.code, exc.retry_after_s, summary)
        log.warning("push service busy (%s): %d messages wait for a retry", exc.code, len(ids))
        return False
    except (PushRequestRejected, PushOutcomeUnknown) as exc:
        _mark_failed(conn, [(outbox_id, exc.code) for outbox_id in ids], summary)
        log.error("push request failed (%s): %d messages not sent", exc.code, len(ids))
        return True
    except PushCredentialsRejected as exc:
        _retry(conn, settings, ids, exc.code, None, summary)
        log.error("push service refused the access token (%s): check EXPO_ACCESS_TOKEN", exc.code)
        raise
    _record_tickets(conn, settings, [claimed for claimed, _ in ready], tickets, summary)
    return True


def _record_tickets(
    conn: psycopg.Connection,
    settings: PushSettings,
    batch: list[ClaimedMessage],
    tickets: list[Ticket],
    summary: DispatchSummary,
) -> None:
    sent = [(c.outbox_id, t.id) for c, t in zip(batch, tickets, strict=True) if t.id is not None]
    errors = [
        (c, t.error or "unknown_error") for c, t in zip(batch, tickets, strict=True) if t.id is None
    ]
    gone = {c.device_id for c, code in errors if code == DEVICE_GONE}
    retry = [c.outbox_id for c, code in errors if code in RETRYABLE_TICKET_ERRORS]
    failed = [(c.outbox_id, code) for c, code in errors if code not in RETRYABLE_TICKET_ERRORS]
    if sent:
        summary.sent += _scalar(conn, MARK_SENT_SQL, ([i for i, _ in sent], [t for _, t in sent]))
    _mark_failed(conn, failed, summary)
    if retry:
        _retry(conn, settings, retry, "MessageRateExceeded", None, summary)
    if gone:
        summary.devices_removed += _scalar(conn, REMOVE_DEVICES_SQL, (list(gone),))
    counts = Counter(code for _, code in errors)
    log.info("push batch: %d accepted, errors %s", len(sent), dict(counts) or "none")


def _mark_failed(
    conn: psycopg.Connection, failed: list[tuple[int, str]], summary: DispatchSummary
) -> None:
    if failed:
        summary.failed += _scalar(
            conn, MARK_FAILED_SQL, ([i for i, _ in failed], [code for _, code in failed])
        )


def _retry(
    conn: psycopg.Connection,
    settings: PushSettings,
    ids: list[int],
    code: str,
    retry_after_s: float | None,
    summary: DispatchSummary,
) -> None:
    back = _scalar(
        conn,
        MARK_RETRY_SQL,
        (
            ids,
            code,
            settings.retry_base_s,
            settings.retry_max_s,
            retry_after_s or 0.0,
            settings.max_attempts,
        ),
    )
    summary.retrying += back
    summary.failed += len(ids) - back


def dispatch_pushes(
    owner_url: str,
    settings: PushSettings,
    transport: PushTransport | None = None,
    at: datetime | None = None,
    send: bool = True,
) -> DispatchSummary:
    """Settle stale rows, queue new messages (as of `at`, default now) and send what is due;
    recorded as a 'push_dispatch' job run."""
    summary = DispatchSummary()
    with (
        recorded_job(owner_url, "push_dispatch") as run,
        psycopg.connect(owner_url, autocommit=True) as conn,
    ):
        summary.settled = _scalar(
            conn, SETTLE_SQL, (settings.max_event_age_s, settings.outbox_retention_days)
        )
        enqueue_messages(conn, settings, at, summary)
        if send:
            own = transport is None
            active = transport or ExpoPushTransport(settings)
            try:
                send_due_messages(conn, settings, active, summary)
            finally:
                if own:
                    active.close()
        run.rows = summary.sent
        run.details = asdict(summary)
    log.info("push dispatch: %s", summary.line())
    return summary
