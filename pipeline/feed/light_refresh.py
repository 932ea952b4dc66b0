"""A light refresh after new located events: rebuild the risk tables, no retrain.

It runs under the nightly pipeline's advisory lock (pipeline.jobs.exclusive), so it never
overlaps the nightly run; when the nightly holds the lock it is skipped and stays pending.
The refresh itself is risk.refresh_all() in one transaction (pipeline.risk.refresh): readers
keep the previous generation until it commits, then the tile generation (and ETags) move on.
"""

from __future__ import annotations

import logging

from pipeline.jobs import JobAlreadyRunning, exclusive
from pipeline.risk.refresh import refresh_risk

log = logging.getLogger("halo.feed.refresh")


def light_refresh(owner_url: str) -> int | None:
    """The new generation id, or None when the nightly run holds the lock (try later)."""
    try:
        with exclusive(owner_url):
            generation = refresh_risk(owner_url)
    except JobAlreadyRunning:
        log.info("light refresh deferred: the nightly run holds the lock")
        return None
    log.info("light refresh done: generation %s", generation.id)
    return generation.id
