"""Reports in the risk engine: an approved report adds its capped weight to its cell's mass at
the next risk.refresh_all, a pending one adds nothing, and ids never collide with incidents."""

from __future__ import annotations

from datetime import timedelta

import psycopg

from tests.support.dbtools import ScratchDatabase
from tests.support.report_support import insert_report
from tests.support.synthetic_city import AS_OF, add_point, make_city

APPROVED_AT = (18.060, 59.326)  # Västra
PENDING_AT = (18.095, 59.334)  # Östra


def cell_mass(conn: psycopg.Connection, lon: float, lat: float) -> float:
    row = conn.execute(
        "SELECT m.mass FROM risk.cell_mass m JOIN risk.parameters p"
        " ON m.cell = h3_lat_lng_to_cell(point(%s, %s), p.base_resolution)",
        (lon, lat),
    ).fetchone()
    assert row is not None, "the point is outside the study area"
    return float(row[0])


def test_an_approved_report_raises_its_cells_mass_and_a_pending_one_does_not(
    db: ScratchDatabase,
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        make_city(conn)
        add_point(conn, "far", 18.105, 59.322, AS_OF - timedelta(days=3))
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        before = cell_mass(conn, *APPROVED_AT), cell_mass(conn, *PENDING_AT)
        when = AS_OF - timedelta(days=1)
        approved = insert_report(conn, *APPROVED_AT, when, category="violent", status="approved")
        insert_report(conn, *PENDING_AT, when, category="violent")
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        after = cell_mass(conn, *APPROVED_AT), cell_mass(conn, *PENDING_AT)
        shares = conn.execute(
            "SELECT incident_id, share, severity FROM risk.incident_shares(%s, %s, %s)"
            " WHERE incident_id < 0",
            (AS_OF, AS_OF - timedelta(days=365), AS_OF),
        ).fetchall()
        located = conn.execute(
            "SELECT located_incidents FROM risk.generations ORDER BY id DESC LIMIT 1"
        ).fetchone()[0]
    assert before == (0.0, 0.0)
    # Violence weighs 1.0, capped at 0.5 for a report, times the app's reliability 0.5,
    # decayed over one day with the 90-day half-life.
    assert abs(after[0] - 0.25 * 0.5 ** (1 / 90)) < 1e-4
    assert after[1] == 0.0
    assert shares == [(-approved, 1.0, 0.25)]
    assert located == 2  # the police event and the report, distinct ids


def test_a_report_approved_after_the_refresh_time_does_not_count_in_it(
    db: ScratchDatabase,
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        make_city(conn)
        report = insert_report(conn, *APPROVED_AT, AS_OF - timedelta(days=2), status="approved")
        conn.execute(
            "UPDATE raw.user_reports SET moderated_at = %s WHERE id = %s",
            (AS_OF + timedelta(hours=1), report),
        )
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        at_as_of = cell_mass(conn, *APPROVED_AT)
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF + timedelta(days=1),))
        a_day_later = cell_mass(conn, *APPROVED_AT)
    assert at_as_of == 0.0
    assert a_day_later > 0.0
