"""DBSCAN clusters of reports on a constructed case: in SQL (live and the nightly table), for
QGIS through analytics, and as GeoJSON over HTTP for analyst keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from config.settings import Settings
from tests.support.dbtools import ScratchDatabase
from tests.support.live_server import live_server
from tests.support.opstools import api_key
from tests.support.report_support import insert_report, offset, report_settings

NOW = datetime.now(UTC)
SODER = (18.0735, 59.3142)
KUNGSHOLMEN = (18.030, 59.332)
CLUSTERS_URL = "/api/v1/reports/clusters"


def build_case(conn: psycopg.Connection) -> dict[str, list[int]]:
    """Four reports at Södermalm in four neighbouring cells (centres 119-215 m apart), three in
    one cell at Kungsholmen,
    one lone report, and reports that must not count: rejected, or too old."""
    recent = NOW - timedelta(days=2)
    soder = [
        insert_report(conn, *offset(SODER, e, n), recent, category=c)
        for e, n, c in [
            (0, 0, "violent"),
            (30, 20, "violent"),
            (150, 0, "robbery"),
            (0, 140, "theft"),
        ]
    ]
    kungsholmen = [
        insert_report(conn, *offset(KUNGSHOLMEN, e, 0), recent, category="vandalism")
        for e in (0, 5, 10)
    ]
    lone = [insert_report(conn, 18.10, 59.36, recent)]
    rejected = [insert_report(conn, *offset(SODER, 10, 10), recent, status="rejected")]
    old = [insert_report(conn, *SODER, NOW - timedelta(days=90))]
    return {"soder": soder, "kungsholmen": kungsholmen, "lone": lone, "excluded": rejected + old}


@pytest.fixture
def case(db: ScratchDatabase) -> dict[str, list[int]]:
    with psycopg.connect(db.owner_url) as conn:
        return build_case(conn)


def clusters(
    db: ScratchDatabase, query: str, params: tuple[object, ...] = ()
) -> list[tuple[Any, ...]]:
    with psycopg.connect(db.owner_url) as conn:
        return conn.execute(query, params).fetchall()


def test_dbscan_finds_the_two_groups_and_leaves_the_lone_report_as_noise(
    db: ScratchDatabase, case: dict[str, list[int]]
) -> None:
    found = clusters(
        db,
        "SELECT cluster_id, reports, categories, radius_m,"
        " ST_Contains(hull, ST_SetSRID(ST_Point(%s, %s), 4326))"
        " FROM raw.cluster_reports(250, 3) ORDER BY cluster_id",
        SODER,
    )
    assert [(cid, n, cats) for cid, n, cats, _, _ in found] == [
        (1, 4, {"violent": 2, "robbery": 1, "theft": 1}),
        (2, 3, {"vandalism": 3}),
    ]
    soder_radius, soder_hull_holds_the_square = found[0][3], found[0][4]
    assert 50 < soder_radius < 200 and soder_hull_holds_the_square


def test_eps_and_min_points_change_the_clusters(
    db: ScratchDatabase, case: dict[str, list[int]]
) -> None:
    def sizes(eps: float, min_points: int) -> list[int]:
        return [
            n
            for (n,) in clusters(
                db,
                "SELECT reports FROM raw.cluster_reports(%s, %s) ORDER BY cluster_id",
                (eps, min_points),
            )
        ]

    assert sizes(250, 3) == [4, 3]
    assert sizes(250, 4) == [4]
    assert sizes(60, 3) == [3]  # one cell only: the Kungsholmen reports
    assert sizes(250, 2) == [4, 3]


def test_the_time_window_keeps_old_reports_out(
    db: ScratchDatabase, case: dict[str, list[int]]
) -> None:
    wide = clusters(
        db,
        "SELECT reports FROM raw.cluster_reports(250, 3, %s, %s) ORDER BY cluster_id",
        (NOW - timedelta(days=120), NOW),
    )
    assert [n for (n,) in wide] == [5, 3]  # the 90-day-old report joins Södermalm


def test_the_nightly_refresh_fills_the_table_that_analysts_read(
    db: ScratchDatabase, case: dict[str, list[int]]
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        conn.execute("UPDATE ref.report_parameters SET cluster_eps_m = 250")
        (count,) = conn.execute("SELECT risk.refresh_report_clusters()").fetchone()
    assert count == 2
    with psycopg.connect(db.analyst_url) as conn:
        rows = conn.execute(
            "SELECT reports, GeometryType(geom) FROM analytics.report_clusters ORDER BY cluster_id"
        ).fetchall()
    assert rows == [(4, "POLYGON"), (3, "POLYGON")]


def test_the_clusters_route_serves_geojson_to_analyst_keys(
    settings: Settings, db: ScratchDatabase, case: dict[str, list[int]], tmp_path: Path
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        conn.execute("SELECT risk.refresh_report_clusters()")
    analyst = {"X-API-Key": api_key(db, "analyst")}
    with live_server(report_settings(settings, db, tmp_path)) as client:
        anonymous = client.get(CLUSTERS_URL)
        nightly = client.get(CLUSTERS_URL, headers=analyst)
        live = client.get(CLUSTERS_URL, params={"eps_m": 250, "min_points": 4}, headers=analyst)
        bad = client.get(CLUSTERS_URL, params={"eps_m": 1}, headers=analyst)
    assert anonymous.status_code == 401
    assert nightly.status_code == 200
    assert nightly.headers["content-type"] == "application/geo+json"
    body = nightly.json()
    assert body["type"] == "FeatureCollection" and body["mode"] == "nightly"
    assert body["eps_m"] == 200 and body["min_points"] == 3
    assert [f["properties"]["reports"] for f in body["features"]] == [4, 3]
    first = body["features"][0]
    assert first["geometry"]["type"] == "Polygon"
    assert len(first["properties"]["centroid"]) == 2
    assert live.json()["mode"] == "live"
    assert [f["properties"]["reports"] for f in live.json()["features"]] == [4]
    assert bad.status_code == 422
