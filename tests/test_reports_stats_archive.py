"""The statistics routes on real data: the 2022-2025 police archive plus reports generated near
real events (and decoys far from any in time), answered over HTTP for an analyst key."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest

from config.settings import Settings
from pipeline.ingest.polisen_ingest import ingest_files
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
from tests.support.ingest_support import ARCHIVE, reference_database, scalar
from tests.support.live_server import live_server
from tests.support.opstools import api_key
from tests.support.report_support import report_settings

WINDOW = {"from": "2022-09-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}

# One report per fourth located police event (its place or a point inside its district, 40
# minutes later), moderated in turn pending / approved / rejected; and one decoy per event at
# the same spot two days later, which no police event should corroborate.
GENERATE_SQL = """
WITH events AS (
    SELECT i.id, i.category, coalesce(i.occurred_at, i.published_at, i.first_seen_at) AS t,
           ST_PointOnSurface(coalesce(pl.geom, d.geom)) AS spot
    FROM raw.incidents i
    JOIN ref.incident_categories k ON k.code = i.category AND k.counts_for_risk
    LEFT JOIN ref.places pl ON i.location_support = 'place' AND pl.id = i.place_id
    LEFT JOIN ref.districts d ON i.location_support = 'district' AND d.id = i.district_id
    WHERE i.location_support IN ('place', 'district') AND i.id % 4 = 0
),
generated AS (
    SELECT 'near-event-' || id AS key, category, t + interval '40 minutes' AS t, spot,
           (ARRAY['pending', 'approved', 'rejected'])[1 + id % 3] AS status
    FROM events
    UNION ALL
    SELECT 'decoy-event-' || id, category, t + interval '2 days', spot, 'pending' FROM events
)
INSERT INTO raw.user_reports (idempotency_key, request_sha256, category, occurred_at,
    received_at, geom, h3_cell, moderation_status, moderated_at)
SELECT key, repeat('0', 64), category, t, t + interval '10 minutes',
       ST_SetSRID(h3_cell_to_lat_lng(cell)::geometry, 4326), cell, status,
       CASE WHEN status <> 'pending' THEN t + interval '1 hour' END
FROM generated, h3_lat_lng_to_cell(spot::point, 10) AS cell
"""


@dataclass(frozen=True)
class ArchiveWithReports:
    db: ScratchDatabase
    client: httpx.Client
    analyst: dict[str, str]


@pytest.fixture(scope="module")
def loaded(
    db_factory: DatabaseFactory,
    template_db: ScratchDatabase,
    settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ArchiveWithReports]:
    db = reference_database(db_factory, template_db, settings.data_dir)
    try:
        ingest_files(db.owner_url, [settings.data_dir / ARCHIVE])
        with psycopg.connect(db.owner_url) as conn:
            conn.execute(GENERATE_SQL)
            conn.execute("ANALYZE raw.user_reports")
        analyst = {"X-API-Key": api_key(db, "analyst")}
        config = report_settings(settings, db, tmp_path_factory.mktemp("photos"))
        with live_server(config) as client:
            yield ArchiveWithReports(db, client, analyst)
    finally:
        db_factory.drop(db.name)


def get(loaded: ArchiveWithReports, path: str) -> dict[str, Any]:
    started = time.perf_counter()
    answer = loaded.client.get(path, params=WINDOW, headers=loaded.analyst)
    print(f"{path}: {answer.status_code} in {time.perf_counter() - started:.2f} s")  # noqa: T201 (shown by pytest -s)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def count(loaded: ArchiveWithReports, query: str, *params: object) -> int:
    return int(scalar(loaded.db.owner_url, query, params))


def test_report_stats_count_every_generated_report_by_status_category_and_day(
    loaded: ArchiveWithReports,
) -> None:
    stats = get(loaded, "/api/v1/reports/stats")
    total = count(loaded, "SELECT count(*) FROM raw.user_reports")
    assert total > 1000
    assert stats["total"] == total
    assert sum(stats["by_status"].values()) == total
    assert stats["by_status"]["rejected"] == count(
        loaded, "SELECT count(*) FROM raw.user_reports WHERE moderation_status = 'rejected'"
    )
    assert sum(c["count"] for c in stats["by_category"]) == total
    assert sum(d["count"] for d in stats["by_day"]) == total
    assert stats["by_category"][0]["count"] >= stats["by_category"][-1]["count"]
    assert stats["feeding_risk"] == count(loaded, "SELECT count(*) FROM raw.reports_for_risk")


def test_reports_near_real_events_are_corroborated_and_decoys_are_not(
    loaded: ArchiveWithReports,
) -> None:
    stats = get(loaded, "/api/v1/reports/cross-source-stats")
    near = count(
        loaded,
        "SELECT count(*) FROM raw.user_reports"
        " WHERE idempotency_key LIKE %s AND moderation_status <> 'rejected'",
        "near-%",
    )
    decoys = count(
        loaded, "SELECT count(*) FROM raw.user_reports WHERE idempotency_key LIKE %s", "decoy-%"
    )
    assert stats["reports"] == near + decoys
    # Every near report sits on its event's support 40 minutes later; a decoy is matched only
    # when another event happened at the same place two days later.
    assert stats["corroborated"] >= near
    assert stats["corroborated"] - near <= 0.15 * decoys
    rate = stats["corroboration_rate"]
    assert near / (near + decoys) <= rate <= (near + 0.15 * decoys) / (near + decoys)
    police = next(s for s in stats["sources"] if s["source"] == "polisen")
    assert police["events"] == count(
        loaded,
        "SELECT count(*) FROM raw.incidents i JOIN ref.incident_categories k"
        " ON k.code = i.category AND k.counts_for_risk"
        " WHERE i.occurred_at >= '2022-09-01' AND i.occurred_at < '2026-01-01'",
    )
    # The events given a non-rejected report (a report fuses with the event closest in time,
    # now and then another one nearby).
    reported = count(
        loaded,
        "SELECT count(*) FROM raw.incidents i JOIN ref.incident_categories k"
        " ON k.code = i.category AND k.counts_for_risk"
        " WHERE i.location_support IN ('place', 'district') AND i.id %% 4 = 0 AND i.id %% 3 <> 2",
    )
    assert 0.9 * reported <= police["corroborated"] <= 1.1 * reported
    fused = stats["fused_events"]
    assert fused["multi_source"] == police["corroborated"]
    assert fused["mean_confidence_multi_source"] >= 0.95  # 1 - (1 - 0.9)(1 - 0.5)
    assert len(stats["districts"]) > 50
    assert all(0 <= d["corroboration_rate"] <= 1 for d in stats["districts"])
    assert stats["parameters"] == {"corroboration_distance_m": 250, "corroboration_window_h": 3}


def test_stats_need_an_analyst_key_and_a_sensible_window(loaded: ArchiveWithReports) -> None:
    path = "/api/v1/reports/cross-source-stats"
    assert loaded.client.get(path).status_code == 401
    backwards = {"from": WINDOW["until"], "until": WINDOW["from"]}
    answer = loaded.client.get(path, params=backwards, headers=loaded.analyst)
    assert answer.status_code == 422
    naive = {"from": "2024-01-01T00:00:00"}
    assert loaded.client.get(path, params=naive, headers=loaded.analyst).status_code == 422
