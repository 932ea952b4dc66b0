"""`halo feed`: the long-running polisen.se feed (or, with --fake, a local replay demo)."""

from __future__ import annotations

import logging
import signal
import threading
from contextlib import AbstractContextManager, ExitStack
from datetime import UTC, datetime

import typer

from config.settings import get_settings

LAST_ARCHIVE_DAY = datetime(2025, 12, 31, tzinfo=UTC)
DEMO_EVENTS = 500
# Demo events get ids of their own: a database holding the archive sees them as new.
DEMO_ID_OFFSET = 50_000_000


def feed(
    fake: bool = typer.Option(
        False, "--fake", help="Demo: replay archived events from a local fake of polisen.se."
    ),
    fake_port: int = typer.Option(0, help="With --fake: its port (0: any free one)."),
    release_every_s: float = typer.Option(
        60.0, help="With --fake: one more archived event becomes visible this often."
    ),
    backlog: int = typer.Option(100, help="With --fake: events visible at the start."),
    max_cycles: int | None = typer.Option(None, help="Stop after this many cycles."),
) -> None:
    """Poll polisen.se politely, ingest new and edited events, fetch their pages, refresh.

    Runs until SIGTERM or Ctrl-C; never exits because polisen.se or the database is away
    (it backs off and says so in /health/ready, /metrics and /api/v1/freshness).
    """
    from config.ingest import get_ingest_settings
    from pipeline.feed.service import LiveFeed

    settings = get_settings()
    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        logging.getLogger("halo.feed").info("feed stopping (signal %s)", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    feed_settings = settings.feed
    with ExitStack() as stack:
        if fake:
            base = stack.enter_context(_fake_server(fake_port, release_every_s, backlog, stopping))
            feed_settings = feed_settings.model_copy(
                update={"base_url": f"{base}/api/events", "page_base_url": base}
            )
            typer.echo(f"fake polisen.se at {base} (replaying the 2022-2025 archive)")
        live = LiveFeed(settings.database_url, feed_settings, get_ingest_settings())
        live.run(stop=stopping.is_set, max_cycles=max_cycles)


def _fake_server(
    port: int, release_every_s: float, backlog: int, stopping: threading.Event
) -> AbstractContextManager[str]:
    """The fake replaying the archive's last DEMO_EVENTS events, moved to end today and
    renumbered (so they are new to a database holding the archive), released over time."""
    from pipeline.feed.fake_polisen import FakePolisen, load_replay, serve_fake

    settings = get_settings()
    shift_days = (datetime.now(UTC) - LAST_ARCHIVE_DAY).days // 7 * 7
    events = load_replay(settings.data_dir, shift_days=shift_days)[-DEMO_EVENTS:]
    for event in events:
        for version in (event.last, event.first):
            if version is not None:
                version["id"] = int(version["id"]) + DEMO_ID_OFFSET
    fake = FakePolisen(events)
    fake.release(backlog)

    def release_over_time() -> None:
        while not stopping.wait(release_every_s):
            fake.release(1)

    threading.Thread(target=release_over_time, daemon=True).start()
    return serve_fake(fake, port)
