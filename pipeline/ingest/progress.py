"""Progress of long work: a tqdm bar on a terminal, periodic log lines elsewhere."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")

log = logging.getLogger("halo.ingest.progress")

# Without a terminal, one log line at most this often.
LOG_EVERY_S = 10.0


def progress(items: Iterable[T], total: int | None, what: str) -> Iterator[T]:
    """Iterate over items, showing progress: tqdm on a terminal, log lines otherwise."""
    if sys.stderr.isatty():
        yield from tqdm(items, total=total, desc=what, unit=" rows", leave=False)
        return
    yield from _logged(items, total, what)


def _logged(items: Iterable[T], total: int | None, what: str) -> Iterator[T]:
    started = last = time.monotonic()
    done = 0
    for item in items:
        yield item
        done += 1
        now = time.monotonic()
        if now - last >= LOG_EVERY_S:
            last = now
            log.info(
                "progress what=%s done=%d total=%s elapsed_s=%.0f", what, done, total, now - started
            )
    log.info(
        "progress what=%s done=%d total=%s elapsed_s=%.1f",
        what,
        done,
        total,
        time.monotonic() - started,
    )
