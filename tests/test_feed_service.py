"""`halo feed` against the local fake of polisen.se: politeness, restarts, outages, edits,
pages fetched once, bad answers writing nothing."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from config.ingest import IngestSettings
from config.settings import Settings
from pipeline.feed.fake_polisen import FakePolisen
from pipeline.ingest.polisen_ingest import open_ingester, parse_events
from pipeline.ingest.summary import IngestSummary
from tests.support.dbtools import ScratchDatabase
from tests.support.feed_support import feed_rig, replay_slice
from tests.support.ingest_support import rows, scalar


def stored(db: ScratchDatabase) -> dict[str, dict[str, Any]]:
    """external id -> the stored payload (last version received) of every incident."""
    found = rows(db.owner_url, "SELECT external_id, raw_payload FROM raw.incidents")
    assert len(found) == len({r[0] for r in found})
    return {r[0]: r[1] for r in found}


def accepted_ids(db: ScratchDatabase, fake: FakePolisen) -> set[str]:
    """The released events (last versions) the parser accepts: what must be stored."""
    import psycopg

    released = [e.last for e in fake.events if e.released_at is not None]
    with psycopg.connect(db.owner_url) as conn:
        ingester = open_ingester(conn, IngestSettings())
    from datetime import UTC, datetime

    parsed = parse_events(ingester, released, IngestSummary(), "expected", datetime.now(UTC))
    return {event.external_id for event in parsed}


def test_polls_keep_ten_seconds_apart_and_sixty_an_hour(
    ref_db: ScratchDatabase, settings: Settings
) -> None:
    events = replay_slice(settings.data_dir, 40)
    with feed_rig(ref_db.owner_url, events) as rig:
        rig.fake.release(5)
        # The feed asks every 20 s; the hourly cap must hold it to 60 calls an hour.
        feed = rig.new_feed(interval_s=20.0)
        for cycle in range(150):
            if cycle % 10 == 0:
                rig.fake.release(2)
            feed.run_cycle()
        calls = [r.at for r in rig.fake.api_calls()]
        pages = [r.at for r in rig.fake.requests if not r.path.startswith("/api/")]
    assert len(calls) >= 150
    assert min(b - a for a, b in itertools.pairwise(calls)) >= 10.0
    busiest_hour = max(sum(1 for t in calls if start <= t < start + 3600) for start in calls)
    assert busiest_hour == 60
    assert all(r.status == 200 for r in rig.fake.api_calls()), "the fake never had to say 429"
    assert min(b - a for a, b in itertools.pairwise(pages)) >= 10.0
    assert all(r.user_agent and "Halo" in r.user_agent for r in rig.fake.requests)


def test_restarts_and_outages_lose_and_duplicate_nothing(
    ref_db: ScratchDatabase, settings: Settings
) -> None:
    events = replay_slice(settings.data_dir, 60, edited=2)
    with feed_rig(ref_db.owner_url, events, max_events=12) as rig:
        rig.fake.release(10)
        first = rig.new_feed()
        assert first.run(max_cycles=2) == 2
        assert set(stored(ref_db)) == accepted_ids(ref_db, rig.fake)

        # An outage of every kind; the events released meanwhile exceed one answer (12).
        rig.fake.faults.extend(["500", "timeout", "malformed", "429", "not_a_list", "503"])
        rig.fake.release(25)
        restarted = rig.new_feed()
        reports = [restarted.run_cycle() for _ in range(6)]
        assert all(report.error for report in reports)
        state = rows(
            ref_db.owner_url,
            "SELECT consecutive_failures, last_error FROM ops.feed_state",
        )[0]
        assert state[0] == 6 and "503" in state[1]

        # Back after a restart: the answer does not reach back to the cursor -> backfill.
        rig.fake.release(20)
        again = rig.new_feed()
        report = again.run_cycle()
        assert report.error is None and report.backfill_days
        # Edits show up in later answers (within the answer's window, as on polisen.se:
        # an event edited after it left the latest 500 would not be seen again).
        rig.fake.max_events = 500
        later = [again.run_cycle() for _ in range(4)]
        expected = accepted_ids(ref_db, rig.fake)
    found = stored(ref_db)
    assert set(found) == expected
    released = {str(e.last["id"]): e.last for e in rig.fake.events if e.released_at}
    for external_id, payload in found.items():
        assert payload == released[external_id], "each event is stored in its last version"
    edited = [e for e in rig.fake.events if e.first and e.released_at]
    assert edited, "the slice replays at least one edit"
    assert sum(r.updated for r in [report, *later]) >= 1, "an edit was stored as an update"
    failures = scalar(ref_db.owner_url, "SELECT consecutive_failures FROM ops.feed_state")
    assert failures == 0


def test_each_page_is_fetched_once_and_feeds_the_geocoder(
    ref_db: ScratchDatabase, settings: Settings
) -> None:
    events = replay_slice(settings.data_dir, 30)
    with feed_rig(ref_db.owner_url, events) as rig:
        released = rig.fake.release(12)
        urls = [e.last["url"] for e in released]
        rig.fake.page_faults.update({urls[0]: "changed_shape", urls[1]: "500", urls[2]: "404"})
        feed = rig.new_feed()
        for _ in range(4):
            feed.run_cycle()
        counts = rig.fake.page_counts()
    stored_ids = set(stored(ref_db))
    expected_urls = {e.last["url"] for e in released if str(e.last["id"]) in stored_ids}
    assert set(counts) == expected_urls
    assert counts[urls[1]] == 2, "a 500 is retried once later"
    assert all(n == 1 for url, n in counts.items() if url != urls[1])
    statuses = dict(rows(ref_db.owner_url, "SELECT url, status FROM raw.event_pages"))
    by_path = {url.split("127.0.0.1", 1)[1].split("/", 1)[1]: s for url, s in statuses.items()}
    assert by_path[urls[0].lstrip("/")] == "unparseable"
    assert by_path[urls[2].lstrip("/")] == "gone"
    assert by_path[urls[1].lstrip("/")] == "fetched"
    with_text = scalar(
        ref_db.owner_url, "SELECT count(*) FROM raw.incidents WHERE page_text IS NOT NULL"
    )
    assert with_text == len(expected_urls) - 2


def test_a_malformed_answer_writes_nothing_and_says_why(
    ref_db: ScratchDatabase, settings: Settings
) -> None:
    with feed_rig(ref_db.owner_url, replay_slice(settings.data_dir, 10)) as rig:
        rig.fake.release(5)
        rig.fake.faults.append("malformed")
        report = rig.new_feed().run_cycle()
    assert report.error and "malformed JSON" in report.error
    assert scalar(ref_db.owner_url, "SELECT count(*) FROM raw.incidents") == 0
    error = scalar(ref_db.owner_url, "SELECT last_error FROM ops.feed_state")
    assert "malformed JSON" in error


def test_no_user_agent_is_refused_by_the_fake_as_by_polisen(settings: Settings) -> None:
    import urllib.error
    import urllib.request

    with feed_rig("unused", replay_slice(settings.data_dir, 5)) as rig:
        # the local fake's http URL
        request = urllib.request.Request(f"{rig.base}/api/events", headers={"User-Agent": ""})  # noqa: S310
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)  # noqa: S310
    assert refused.value.code == 403
