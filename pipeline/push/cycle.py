"""One push cycle for the ingest polling loop and the nightly run: dispatch, then receipts.

Push must never break what calls it: a failure is logged and recorded as a failed job run
(ops.job_runs kind push_dispatch / push_receipts), and the next cycle retries what is due.
"""

from __future__ import annotations

import logging

from config.push import PushSettings
from pipeline.push.dispatch import DispatchSummary, dispatch_pushes
from pipeline.push.receipts import check_receipts

log = logging.getLogger("halo.push")


def run_push_cycle(owner_url: str, settings: PushSettings) -> DispatchSummary | None:
    """Queue and send due messages, then settle due receipts; never raises."""
    summary = None
    try:
        summary = dispatch_pushes(owner_url, settings)
    except Exception:
        log.exception("push dispatch failed; the next cycle retries what is due")
    try:
        check_receipts(owner_url, settings)
    except Exception:
        log.exception("push receipts failed; the next cycle asks again")
    return summary
