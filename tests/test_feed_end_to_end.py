"""From polisen.se (the fake) to the map: a replayed event is listed by /api/v1/incidents and
moves the tiles' ETag in the same feed cycle; the light refresh waits for its interval and
never overlaps the nightly run."""

from __future__ import annotations

import time

import httpx

from config.settings import Settings
from pipeline.jobs import exclusive
from tests.support.dbtools import ScratchDatabase, settings_for
from tests.support.feed_support import feed_rig, replay_slice
from tests.support.ingest_support import scalar
from tests.support.live_server import live_server

TILE = "/tiles/risk/10/563/300.mvt"  # central Stockholm
GENERATION_TTL_S = 1.1  # the API reads the generation at most once a second


def etags(api: httpx.Client) -> tuple[str, str]:
    time.sleep(GENERATION_TTL_S)
    tile = api.get(TILE)
    hoods = api.get("/api/v1/neighborhoods")
    assert tile.status_code in (200, 204) and hoods.status_code == 200
    return tile.headers["etag"], hoods.headers["etag"]


def located_ids(db: ScratchDatabase) -> set[int]:
    found = scalar(
        db.owner_url,
        "SELECT coalesce(array_agg(id), '{}') FROM raw.incidents"
        " WHERE location_support IN ('point', 'place', 'district')",
    )
    return set(found)


def test_a_replayed_event_reaches_the_list_and_the_tiles_in_one_cycle(
    ref_db: ScratchDatabase, settings: Settings
) -> None:
    events = replay_slice(settings.data_dir, 80)
    with (
        feed_rig(ref_db.owner_url, events) as rig,
        live_server(settings_for(settings, ref_db)) as api,
    ):
        rig.fake.release(20)
        feed = rig.new_feed(light_refresh_interval_min=0)
        assert feed.run_cycle().refreshed
        before = etags(api)
        listed_before = {i["id"] for i in api.get("/api/v1/incidents?limit=100").json()["items"]}
        known = located_ids(ref_db)
        while located_ids(ref_db) == known:  # until a new located event arrives
            rig.fake.release(3)
            report = feed.run_cycle()
            assert report.error is None
        assert report.refreshed, "the cycle that stored it refreshed the risk tables"
        after = etags(api)
        listed = {i["id"] for i in api.get("/api/v1/incidents?limit=100").json()["items"]}
    new_located = located_ids(ref_db) - known
    assert new_located <= listed and not new_located & listed_before
    assert after[0] != before[0] and after[1] != before[1]


def test_the_light_refresh_waits_its_interval_and_for_the_nightly_lock(
    ref_db: ScratchDatabase, settings: Settings
) -> None:
    events = replay_slice(settings.data_dir, 80)
    with feed_rig(ref_db.owner_url, events) as rig:
        rig.fake.release(20)
        feed = rig.new_feed(light_refresh_interval_min=0)
        with exclusive(ref_db.owner_url):  # the nightly run holds its lock
            held = feed.run_cycle()
        assert held.inserted and not held.refreshed
        assert scalar(ref_db.owner_url, "SELECT refresh_pending FROM ops.feed_state")
        assert feed.run_cycle().refreshed, "once the lock is free the pending refresh runs"

        patient = rig.new_feed(light_refresh_interval_min=60)
        known = located_ids(ref_db)
        while located_ids(ref_db) == known:
            rig.fake.release(3)
            assert not patient.run_cycle().refreshed, "not within the interval"
    assert scalar(ref_db.owner_url, "SELECT refresh_pending FROM ops.feed_state")
    refreshes = scalar(ref_db.owner_url, "SELECT count(*) FROM ops.job_runs WHERE kind = 'refresh'")
    assert refreshes == 1
