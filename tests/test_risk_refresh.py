"""The SQL risk pipeline on a synthetic districts: mass spreading, scores, evidence, refresh."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from pipeline.risk.refresh import refresh_risk
from tests.support.dbtools import ScratchDatabase
from tests.support.synthetic_city import AS_OF, add_area, add_hotspot_history, add_point, make_city


@pytest.fixture
def districts(db: ScratchDatabase) -> dict[str, int]:
    with psycopg.connect(db.owner_url) as conn:
        return make_city(conn)


def one(conn: psycopg.Connection, query: str, *params: object) -> tuple[Any, ...]:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row


def test_a_point_incident_puts_its_whole_weight_on_its_cell(
    db: ScratchDatabase, districts: dict[str, int]
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        add_point(conn, "p1", 18.06, 59.33, AS_OF - timedelta(days=1))
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        cell, mass, precise = one(
            conn,
            "SELECT cell::text, mass, mass_precise FROM risk.cell_mass WHERE mass > 0",
        )
        expected_cell = one(
            conn, "SELECT h3_lat_lng_to_cell(ST_SetSRID(ST_Point(18.06, 59.33), 4326), 9)::text"
        )[0]
        decay = 0.5 ** (1 / 90)
        assert cell == expected_cell
        assert mass == pytest.approx(1.0 * decay, rel=1e-4)
        assert precise == pytest.approx(mass)
        assert one(conn, "SELECT evidence FROM risk.cell_risk WHERE cell = %s::h3index", cell) == (
            "point",
        )


def test_a_district_incident_spreads_evenly_over_the_district(
    db: ScratchDatabase, districts: dict[str, int]
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        add_area(conn, "d1", "district", AS_OF, district_id=districts["Östra"], category="theft")
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        n_cells, total, smallest, largest = one(
            conn,
            "SELECT count(*), sum(m.mass), min(m.mass), max(m.mass) FROM risk.cell_mass m"
            " JOIN risk.cells c USING (cell) WHERE c.district_id = %s",
            districts["Östra"],
        )
        assert n_cells > 20
        assert total == pytest.approx(0.4, rel=1e-4)  # theft severity, no decay at as_of
        assert smallest == pytest.approx(largest)
        other = one(
            conn,
            "SELECT sum(m.mass) FROM risk.cell_mass m JOIN risk.cells c USING (cell)"
            " WHERE c.district_id = %s",
            districts["Västra"],
        )[0]
        assert other == 0
        evidence = one(
            conn,
            "SELECT array_agg(DISTINCT evidence) FROM risk.cell_risk WHERE district_id = %s"
            " AND resolution = 9",
            districts["Östra"],
        )[0]
        assert evidence == ["inferred"]


def test_municipality_only_incidents_reach_no_cell_but_count_in_the_located_share(
    db: ScratchDatabase, districts: dict[str, int]
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        add_point(conn, "p1", 18.06, 59.33, AS_OF)
        add_area(conn, "m1", "municipality", AS_OF)
        add_area(conn, "c1", "county", AS_OF)
        generation = conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,)).fetchone()
        located, share = one(
            conn,
            "SELECT located_incidents, located_share FROM risk.generations WHERE id = %s",
            generation[0] if generation else None,
        )
        total_mass = one(conn, "SELECT sum(mass) FROM risk.cell_mass")[0]
    assert located == 1
    assert share == pytest.approx(0.5)  # one located, one Stockholm-only (the county is not)
    assert total_mass == pytest.approx(1.0)


def test_observed_mass_adds_up_across_resolutions(
    db: ScratchDatabase, districts: dict[str, int]
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        add_hotspot_history(conn, weeks=20)
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        totals = dict(
            conn.execute(
                "SELECT resolution, sum(observed) FROM risk.cell_risk GROUP BY resolution"
            ).fetchall()
        )
        mass = one(conn, "SELECT sum(mass) FROM risk.cell_mass")[0]
    assert set(totals) == {7, 8, 9}
    for total in totals.values():
        assert total == pytest.approx(mass, rel=1e-3)


def test_a_hot_spot_scores_high_and_alert_zones_stay_a_small_share(
    db: ScratchDatabase, districts: dict[str, int]
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        lon, lat = add_hotspot_history(conn, weeks=52)
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        hot_score = one(
            conn,
            "SELECT risk_score FROM risk.cell_risk WHERE cell ="
            " h3_lat_lng_to_cell(ST_SetSRID(ST_Point(%s, %s), 4326), 9)",
            lon,
            lat,
        )[0]
        alert_share = one(
            conn,
            "SELECT sum(area_km2) FILTER (WHERE risk_score >= 0.6) / sum(area_km2)"
            " FROM risk.cell_risk WHERE resolution = 9",
        )[0]
        median_score = one(
            conn,
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY risk_score) FROM risk.cell_risk"
            " WHERE resolution = 9",
        )[0]
    assert hot_score >= 0.6
    assert median_score < 0.5
    assert alert_share <= 0.1


def test_refresh_is_recorded_and_bumps_the_generation(
    db: ScratchDatabase, districts: dict[str, int]
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        add_point(conn, "p1", 18.06, 59.33, AS_OF)
    first = refresh_risk(db.owner_url, AS_OF)
    second = refresh_risk(db.owner_url, AS_OF)
    assert second.id == first.id + 1
    assert first.cells > 0 and first.districts == 2
    with psycopg.connect(db.owner_url) as conn:
        runs = conn.execute(
            "SELECT status, rows_affected, finished_at IS NOT NULL FROM ops.job_runs"
            " WHERE kind = 'refresh' ORDER BY id"
        ).fetchall()
    assert runs == [("success", first.cells + 2, True)] * 2


def test_a_failed_refresh_keeps_the_previous_tables_and_records_the_error(
    db: ScratchDatabase, districts: dict[str, int]
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        add_point(conn, "p1", 18.06, 59.33, AS_OF)
    refresh_risk(db.owner_url, AS_OF)
    with psycopg.connect(db.owner_url) as conn:
        before = conn.execute("SELECT count(*), max(risk_score) FROM risk.cell_risk").fetchone()
        # A broken deployment: the risk table refuses every row.
        conn.execute("ALTER TABLE risk.district_risk ADD CONSTRAINT broken CHECK (false) NOT VALID")
    with pytest.raises(psycopg.errors.CheckViolation):
        refresh_risk(db.owner_url, AS_OF)
    with psycopg.connect(db.owner_url) as conn:
        after = conn.execute("SELECT count(*), max(risk_score) FROM risk.cell_risk").fetchone()
        status, error = one(
            conn, "SELECT status, error FROM ops.job_runs WHERE kind = 'refresh' ORDER BY id DESC"
        )
        generations = one(conn, "SELECT count(*) FROM risk.generations")[0]
    assert after == before
    assert status == "failed" and "broken" in error
    assert generations == 1


def test_a_second_concurrent_refresh_is_refused(
    db: ScratchDatabase, districts: dict[str, int]
) -> None:
    with psycopg.connect(db.owner_url) as first, psycopg.connect(db.owner_url) as second:
        first.execute("SELECT risk.refresh_all(%s)", (AS_OF,))  # transaction left open
        with pytest.raises(psycopg.errors.LockNotAvailable):
            second.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        first.rollback()


def test_readers_never_block_or_see_a_half_built_table_during_refresh(
    db: ScratchDatabase, districts: dict[str, int]
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        add_hotspot_history(conn, weeks=10)
    refresh_risk(db.owner_url, AS_OF)
    with psycopg.connect(db.owner_url) as conn:
        full = one(conn, "SELECT count(*) FROM risk.cell_risk")[0]
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            with psycopg.connect(db.api_url, autocommit=True) as reader:
                # Longer than any statement should take, shorter than the writer's hold.
                reader.execute("SET statement_timeout = '500ms'")
                while not stop.is_set():
                    seen.append(reader.execute("SELECT count(*) FROM risk.cell_risk").fetchone()[0])
        except BaseException as exc:  # noqa: BLE001 (the thread's failure, asserted below)
            errors.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        with psycopg.connect(db.owner_url) as writer:
            for _ in range(3):
                writer.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
                time.sleep(1.0)  # hold the new rows uncommitted while the reader reads
                writer.commit()
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert len(seen) > 10
    assert set(seen) == {full}
