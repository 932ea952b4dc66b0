"""Dispatch: severe events in followed districts become one message per device, within quiet
hours, caps and threat levels; retries never send twice; silent refresh per generation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest

from config.settings import Settings
from pipeline.push.dispatch import dispatch_pushes
from pipeline.push.messages import INCIDENT_BODY, INCIDENT_TITLE
from tests.support.dbtools import ScratchDatabase
from tests.support.expo_fake import FakeExpo, running_fake_expo
from tests.support.push_support import (
    count,
    expo_token,
    fast_push_settings,
    new_generation,
    outbox,
    police_event,
    register_directly,
    seed_districts,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture
def expo(settings: Settings) -> Iterator[tuple[FakeExpo, str]]:
    """A fake Expo push service on loopback."""
    with running_fake_expo(settings) as running:
        yield running


def test_a_severe_event_in_a_followed_district_sends_exactly_one_message(
    api: httpx.Client, db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    districts = seed_districts(db)
    token = expo_token()
    registered = api.post(
        "/api/v1/devices",
        json={
            "expo_push_token": token,
            "platform": "android",
            "language": "en",
            "followed_district_ids": [districts["Västra"]],
        },
    )
    assert registered.status_code == 201, registered.text
    incident = police_event(db, "robbery-1", districts["Västra"], category="robbery")
    push = fast_push_settings(settings, url)

    first = dispatch_pushes(db.owner_url, push)
    again = dispatch_pushes(db.owner_url, push)

    assert (first.queued, first.sent, again.queued, again.sent) == (1, 1, 0, 0)
    [message] = fake.accepted_for(token)
    assert message["title"] == "Robbery · Västra"
    assert message["body"].startswith("The police reported an event in the area at ")
    assert message["data"] == {
        "type": "incident",
        "incident_id": incident,
        "district_id": districts["Västra"],
        "threat_level": "high",
    }
    assert len(fake.accepted) == 1
    assert [row["status"] for row in outbox(db)] == ["sent"]


def test_events_elsewhere_vaguer_older_or_below_the_chosen_levels_send_nothing(
    db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    districts = seed_districts(db)
    push = fast_push_settings(settings, url)
    token = expo_token()
    register_directly(db, push, token, [districts["Västra"]])
    police_event(db, "other-district", districts["Östra"])
    police_event(db, "theft-is-info", districts["Västra"], category="theft")
    police_event(db, "traffic-never", districts["Västra"], category="traffic")
    police_event(db, "municipality-only", None, support="municipality")
    old = datetime.now(UTC) - timedelta(days=2)
    police_event(db, "too-old", districts["Västra"], first_seen=old)

    summary = dispatch_pushes(db.owner_url, push)

    assert (summary.queued, summary.sent) == (0, 0)
    assert fake.accepted == []
    info_token = expo_token()
    register_directly(db, push, info_token, [districts["Västra"]], threat_levels=("info",))
    police_event(db, "theft-2", districts["Västra"], category="theft")
    dispatch_pushes(db.owner_url, push)
    assert [m["data"]["threat_level"] for m in fake.accepted] == ["info"]
    assert fake.accepted_for(info_token)[0]["priority"] == "normal"


def test_nothing_is_sent_during_quiet_hours_nor_after_them(
    db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    districts = seed_districts(db)
    push = fast_push_settings(settings, url)
    local_now = datetime.now(STOCKHOLM)
    quiet = (
        (local_now - timedelta(hours=1)).strftime("%H:%M"),
        (local_now + timedelta(hours=1)).strftime("%H:%M"),
    )
    register_directly(db, push, expo_token(), [districts["Västra"]], quiet=quiet)
    police_event(db, "night-event", districts["Västra"])

    during = dispatch_pushes(db.owner_url, push)
    after = dispatch_pushes(db.owner_url, push, at=datetime.now(UTC) + timedelta(hours=2))

    assert (during.suppressed, during.sent, after.queued, after.sent) == (1, 0, 0, 0)
    assert fake.accepted == []
    assert [(r["status"], r["reason"]) for r in outbox(db)] == [("suppressed", "quiet_hours")]


def test_quiet_hours_are_local_times_of_the_followed_districts_city(
    db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    districts = seed_districts(db)
    with psycopg.connect(db.owner_url) as conn:
        conn.execute("UPDATE ref.cities SET time_zone = 'America/Vancouver'")
        # The local time by the database's time zone rules (Python's tzdata may be older:
        # British Columbia's clock rules for 2026 differ between the two here).
        row = conn.execute(
            "SELECT (now() AT TIME ZONE 'America/Vancouver' - interval '1 hour')::time,"
            " (now() AT TIME ZONE 'America/Vancouver' + interval '1 hour')::time"
        ).fetchone()
    assert row is not None
    push = fast_push_settings(settings, url)  # its own zone stays Europe/Stockholm
    quiet = (row[0].strftime("%H:%M"), row[1].strftime("%H:%M"))
    register_directly(db, push, expo_token(), [districts["Västra"]], quiet=quiet)
    police_event(db, "vancouver-night-event", districts["Västra"])

    during = dispatch_pushes(db.owner_url, push)

    assert (during.suppressed, during.sent) == (1, 0)
    assert fake.accepted == []


def test_a_message_writes_the_event_time_on_the_followed_districts_city_clock(
    db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    """An event in a Tokyo district says Tokyo's time, not the sender's default zone
    (Stockholm): seven or eight hours apart, so the two clock readings differ."""
    fake, url = expo
    districts = seed_districts(db)
    with psycopg.connect(db.owner_url) as conn:
        conn.execute("UPDATE ref.cities SET time_zone = 'Asia/Tokyo'")
    push = fast_push_settings(settings, url)  # its own zone stays Europe/Stockholm
    token = expo_token()
    register_directly(db, push, token, [districts["Östra"]], language="en")
    incident = police_event(db, "tokyo-event", districts["Östra"], category="weapons")
    with psycopg.connect(db.owner_url) as conn:
        row = conn.execute(
            "SELECT coalesce(occurred_at, first_seen_at) FROM raw.incidents WHERE id = %s",
            (incident,),
        ).fetchone()
    assert row is not None

    dispatch_pushes(db.owner_url, push)

    [message] = fake.accepted_for(token)
    tokyo, stockholm = (
        f"{row[0].astimezone(ZoneInfo(z)):%H:%M}" for z in ("Asia/Tokyo", "Europe/Stockholm")
    )
    assert f"at {tokyo}" in message["body"] and stockholm not in message["body"]


@pytest.mark.parametrize(
    ("start", "end", "local_time", "quiet"),
    [
        ("22:00", "07:00", "23:30", True),
        ("22:00", "07:00", "06:59", True),
        ("22:00", "07:00", "07:00", False),
        ("22:00", "07:00", "12:00", False),
        ("13:00", "14:00", "13:30", True),
        ("13:00", "14:00", "14:30", False),
    ],
)
def test_quiet_hours_are_stockholm_local_times_and_may_wrap_past_midnight(
    db: ScratchDatabase, start: str, end: str, local_time: str, quiet: bool
) -> None:
    # A winter date (UTC+1) and a summer date (UTC+2): the same local time both times.
    for day in ("2025-01-15", "2025-07-15"):
        at = datetime.fromisoformat(f"{day}T{local_time}").replace(tzinfo=STOCKHOLM)
        with psycopg.connect(db.owner_url) as conn:
            row = conn.execute(
                "SELECT push.in_quiet_hours(%s::time, %s::time, %s, 'Europe/Stockholm')",
                (start, end, at),
            ).fetchone()
        assert row == (quiet,)


def test_a_device_gets_no_more_messages_than_its_daily_cap_most_severe_first(
    db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    districts = seed_districts(db)
    push = fast_push_settings(settings, url, daily_cap=2)
    token = expo_token()
    modest = expo_token()
    register_directly(db, push, token, [districts["Västra"]])
    register_directly(db, push, modest, [districts["Västra"]], daily_cap=1)
    police_event(db, "robbery-1", districts["Västra"], category="robbery")
    police_event(db, "robbery-2", districts["Västra"], category="robbery")
    police_event(db, "violent-1", districts["Västra"], category="violent")

    summary = dispatch_pushes(db.owner_url, push)
    police_event(db, "violent-2", districts["Västra"], category="violent")
    later = dispatch_pushes(db.owner_url, push)

    assert (summary.sent, summary.suppressed, later.sent, later.suppressed) == (3, 3, 0, 2)
    levels = [m["data"]["threat_level"] for m in fake.accepted_for(token)]
    assert levels == ["critical", "high"]
    assert [m["data"]["threat_level"] for m in fake.accepted_for(modest)] == ["critical"]
    reasons = {r["reason"] for r in outbox(db) if r["status"] == "suppressed"}
    assert reasons == {"daily_cap"}


def test_a_retried_dispatch_sends_nothing_twice(
    db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    districts = seed_districts(db)
    push = fast_push_settings(settings, url)
    tokens = [expo_token() for _ in range(3)]
    for token in tokens:
        register_directly(db, push, token, [districts["Västra"], districts["Östra"]])
    police_event(db, "e1", districts["Västra"])
    police_event(db, "e2", districts["Östra"], category="weapons")
    fake.scripted_statuses = [500, 429]

    runs = [dispatch_pushes(db.owner_url, push) for _ in range(4)]

    assert [run.sent for run in runs] == [0, 0, 6, 0]
    assert [run.retrying for run in runs] == [6, 6, 0, 0]
    assert fake.send_requests == [6, 6, 6]
    sent = sorted((m["to"], m["data"]["incident_id"]) for m in fake.accepted)
    assert len(sent) == len(set(sent)) == 6
    assert {(r["status"], r["attempts"]) for r in outbox(db)} == {("sent", 3)}


def test_a_send_interrupted_after_its_claim_is_never_resent(
    db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    districts = seed_districts(db)
    push = fast_push_settings(settings, url)
    register_directly(db, push, expo_token(), [districts["Västra"]])
    police_event(db, "e1", districts["Västra"])
    dispatch_pushes(db.owner_url, push, send=False)
    with psycopg.connect(db.owner_url) as conn:  # a sender that died after claiming
        conn.execute("SELECT * FROM push.claim_due_messages(100, 0)")

    summary = dispatch_pushes(db.owner_url, push)

    assert (summary.settled, summary.sent) == (1, 0)
    assert fake.accepted == []
    assert [(r["status"], r["reason"]) for r in outbox(db)] == [("failed", "interrupted")]


def test_batches_hold_at_most_100_messages_and_a_rate_limited_batch_waits(
    db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    districts = seed_districts(db)
    push = fast_push_settings(settings, url)
    tokens = [expo_token() for _ in range(150)]
    for token in tokens:
        register_directly(db, push, token, [districts["Östra"]])
    police_event(db, "e1", districts["Östra"])
    fake.requests_per_window = 1

    limited = dispatch_pushes(db.owner_url, push)
    fake.requests_per_window = None
    rest = dispatch_pushes(db.owner_url, push)

    assert (limited.sent, limited.retrying, rest.sent) == (100, 50, 50)
    assert fake.send_requests == [100, 50, 50]
    assert sorted(m["to"] for m in fake.accepted) == sorted(tokens)


def test_a_new_risk_generation_sends_one_silent_refresh_per_device(
    db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    districts = seed_districts(db)
    push = fast_push_settings(settings, url)
    token = expo_token()
    local_now = datetime.now(STOCKHOLM)
    quiet = (
        (local_now - timedelta(hours=1)).strftime("%H:%M"),
        (local_now + timedelta(hours=1)).strftime("%H:%M"),
    )
    register_directly(db, push, token, [districts["Västra"]], quiet=quiet)
    first = new_generation(db)

    runs = [dispatch_pushes(db.owner_url, push), dispatch_pushes(db.owner_url, push)]
    late_token = expo_token()
    register_directly(db, push, late_token, [])
    second = new_generation(db)
    dispatch_pushes(db.owner_url, push)
    newest = expo_token()
    register_directly(db, push, newest, [])
    dispatch_pushes(db.owner_url, push)

    assert [run.refreshes for run in runs] == [1, 0]
    messages = fake.accepted_for(token)
    assert [m["data"] for m in messages] == [
        {"type": "risk_refresh", "generation": first},
        {"type": "risk_refresh", "generation": second},
    ]
    assert all(m["_contentAvailable"] and "title" not in m and "body" not in m for m in messages)
    assert len(fake.accepted_for(late_token)) == 1
    assert fake.accepted_for(newest) == []


def test_texts_follow_the_device_language_and_use_neutral_words(
    db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    districts = seed_districts(db)
    push = fast_push_settings(settings, url)
    token = expo_token()
    register_directly(db, push, token, [districts["Östra"]], language="sv")
    police_event(db, "e1", districts["Östra"], category="weapons")

    dispatch_pushes(db.owner_url, push)

    [message] = fake.accepted_for(token)
    assert message["title"] == "Vapen · Östra"
    assert message["body"].startswith("Polisen har rapporterat en händelse i området kl. ")
    assert (message["priority"], message["sound"]) == ("high", "default")
    words = " ".join([*INCIDENT_TITLE.values(), *INCIDENT_BODY.values()]).lower()
    assert not any(word in words for word in ("dangerous", "farlig", "unsafe", "osäker"))
    assert count(db, "SELECT count(*) FROM ops.job_runs WHERE kind = 'push_dispatch'") == 1
