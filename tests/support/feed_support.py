"""Shared pieces of the live-feed tests: a virtual clock, the fake polisen.se, a feed on it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.feed import FeedSettings
from config.ingest import IngestSettings
from pipeline.feed.fake_polisen import FakePolisen, ReplayEvent, load_replay, serve_fake
from pipeline.feed.service import LiveFeed


class VirtualClock:
    """Monotonic time that moves only when someone sleeps: production pacing (10 s between
    calls, 60 an hour) runs in milliseconds, and the fake stamps requests with the same time."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += max(0.0, seconds)


def replay_slice(data_dir: Path, count: int, edited: int = 1) -> list[ReplayEvent]:
    """`count` consecutive archive events (first-seen order) that include `edited` events
    edited after publication (the fake shows their first, then last version)."""
    events = load_replay(data_dir)
    edited_at = [n for n, e in enumerate(events) if e.first is not None]
    start = max(0, edited_at[-edited] - count // 2)
    return events[start : start + count]


def feed_settings(**changes: Any) -> FeedSettings:
    """The production defaults (10 s floor, 60 an hour), with short timeouts for the fake."""
    values: dict[str, Any] = {
        "enabled": True,
        "interval_s": 60.0,
        "timeout_s": 0.5,
        "page_retry_after_s": 0.01,
        "pages_per_cycle": 50,
        "light_refresh_interval_min": 60.0,
    }
    return FeedSettings(**{**values, **changes})


@dataclass
class FeedRig:
    """A fake polisen.se and a way to start (and restart) feeds against it."""

    fake: FakePolisen
    base: str
    clock: VirtualClock
    owner_url: str

    def new_feed(self, **changes: Any) -> LiveFeed:
        """A fresh feed process (as after a restart): nothing kept in memory."""
        settings = feed_settings(
            base_url=f"{self.base}/api/events", page_base_url=self.base, **changes
        )
        return LiveFeed(
            self.owner_url, settings, IngestSettings(), clock=self.clock, sleep=self.clock.sleep
        )


@contextmanager
def feed_rig(owner_url: str, events: list[ReplayEvent], **fake_options: Any) -> Iterator[FeedRig]:
    """The fake serving `events` (none released yet) on the virtual clock."""
    clock = VirtualClock()
    fake = FakePolisen(events, clock=clock, timeout_sleep_s=1.0, **fake_options)
    with serve_fake(fake) as base:
        yield FeedRig(fake, base, clock, owner_url)
