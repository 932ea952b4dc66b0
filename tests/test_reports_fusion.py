"""Cross-source fusion on constructed police + report pairs: corroboration by category, time
and distance to the police event's support; fused confidence; which reports feed risk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
import pytest

from tests.support.dbtools import ScratchDatabase
from tests.support.report_support import insert_report, offset
from tests.support.synthetic_city import add_area, add_point, make_city

T0 = datetime.fromisoformat("2025-05-10T20:00:00+00:00")
# A spot inside the district Västra (18.05-18.08, 59.32-59.34).
SPOT = (18.065, 59.33)


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return offset(point, 0, metres)


def east_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return offset(point, metres, 0)


@dataclass
class City:
    conn: psycopg.Connection
    districts: dict[str, int]
    place_id: int


@pytest.fixture
def square_city(db: ScratchDatabase) -> Iterator[City]:
    """Two districts and a square (point, radius 80 m), committed per statement."""
    with psycopg.connect(db.owner_url, autocommit=True) as conn:
        districts = make_city(conn)
        row = conn.execute(
            "INSERT INTO ref.places (name, name_key, kind, geom, radius_m, district_id)"
            " VALUES ('Testtorget', 'testtorget', 'square', ST_SetSRID(ST_Point(%s, %s), 4326),"
            " 80, %s) RETURNING id",
            (*SPOT, districts["Västra"]),
        ).fetchone()
        yield City(conn, districts, row[0])


def add_place_event(
    square_city: City, ext_id: str, when: datetime, category: str = "violent"
) -> None:
    square_city.conn.execute(
        "INSERT INTO raw.incidents (source_id, external_id, event_type, category, severity,"
        " occurred_at, first_seen_at, location_support, place_id, raw_payload)"
        " VALUES (1, %s, 'test', %s, 1, %s, %s, 'place', %s, '{}')",
        (ext_id, category, when, when, square_city.place_id),
    )


def corroborated(square_city: City, report_id: int) -> bool:
    row = square_city.conn.execute(
        "SELECT count(*) FROM raw.report_corroborations WHERE report_id = %s", (report_id,)
    ).fetchone()
    return bool(row[0] > 0)


POINT_CASES = {
    "same category 100 m later by 1 h": ("violent", "violent", 100, 1.0, True),
    "same category 600 m away": ("violent", "violent", 600, 1.0, False),
    "same category 5 h apart": ("violent", "violent", 100, 5.0, False),
    "police event 2.5 h before the report": ("violent", "violent", 100, -2.5, True),
    "incompatible categories": ("theft", "traffic", 100, 1.0, False),
    "robbery reported, violence recorded": ("robbery", "violent", 100, 1.0, True),
    "police summary (not an incident)": ("other", "non_incident", 50, 0.5, False),
}


@pytest.mark.parametrize(
    ("report_cat", "police_cat", "metres", "hours", "expected"),
    POINT_CASES.values(),
    ids=POINT_CASES.keys(),
)
def test_a_point_event_corroborates_a_compatible_report_within_250_m_and_3_h(
    square_city: City, report_cat: str, police_cat: str, metres: float, hours: float, expected: bool
) -> None:
    add_point(square_city.conn, "p1", *SPOT, T0 + timedelta(hours=hours), category=police_cat)
    report = insert_report(square_city.conn, *north_of(SPOT, metres), T0, category=report_cat)
    assert corroborated(square_city, report) is expected


@pytest.mark.parametrize(("metres", "expected"), [(200, True), (500, False)])
def test_distance_to_a_place_is_measured_from_the_edge_of_its_radius(
    square_city: City, metres: float, expected: bool
) -> None:
    add_place_event(square_city, "pl1", T0)
    report = insert_report(square_city.conn, *east_of(SPOT, metres), T0)
    assert corroborated(square_city, report) is expected


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("inside", True),
        ("100 m outside", True),
        ("600 m outside", False),
    ],
)
def test_a_district_event_corroborates_reports_inside_or_near_its_polygon(
    square_city: City, where: str, expected: bool
) -> None:
    add_area(
        square_city.conn,
        "d1",
        "district",
        T0,
        district_id=square_city.districts["Västra"],
        category="violent",
    )
    north_edge = (18.065, 59.34)
    spot = {
        "inside": SPOT,
        "100 m outside": north_of(north_edge, 100),
        "600 m outside": north_of(north_edge, 600),
    }[where]
    report = insert_report(square_city.conn, *spot, T0 + timedelta(minutes=30))
    assert corroborated(square_city, report) is expected


def test_a_municipality_only_event_corroborates_nothing(square_city: City) -> None:
    add_area(square_city.conn, "m1", "municipality", T0, category="violent")
    report = insert_report(square_city.conn, *SPOT, T0)
    assert not corroborated(square_city, report)


def test_a_fused_event_has_confidence_one_minus_the_product_of_misses(square_city: City) -> None:
    add_point(square_city.conn, "p1", *SPOT, T0, category="violent")
    near = [
        insert_report(square_city.conn, *north_of(SPOT, d), T0, status="approved") for d in (50, 90)
    ]
    rejected = insert_report(square_city.conn, *SPOT, T0, status="rejected")
    alone = insert_report(square_city.conn, *east_of(SPOT, 2000), T0)
    events = {
        key: (report_ids, sources, observations, round(confidence, 4))
        for key, report_ids, sources, observations, confidence in square_city.conn.execute(
            "SELECT event_key, report_ids, sources, observations, confidence FROM raw.fused_events"
        ).fetchall()
    }
    incident_id = square_city.conn.execute("SELECT id FROM raw.incidents").fetchone()[0]
    assert events[f"incident:{incident_id}"] == (
        near,
        ["polisen", "user_reports"],
        3,
        0.975,  # 1 - (1 - 0.9)(1 - 0.5)(1 - 0.5)
    )
    assert events[f"report:{alone}"] == ([alone], ["user_reports"], 1, 0.5)
    assert not any(rejected in ids for ids, *_ in events.values())
    assert len(events) == 2


def test_a_report_fuses_with_the_police_event_closest_in_time(square_city: City) -> None:
    add_point(square_city.conn, "early", *SPOT, T0 - timedelta(hours=2), category="violent")
    add_point(square_city.conn, "close", *SPOT, T0 + timedelta(minutes=20), category="violent")
    report = insert_report(square_city.conn, *SPOT, T0)
    best, matches = square_city.conn.execute(
        "SELECT i.external_id, c.matches FROM raw.report_corroboration c"
        " JOIN raw.incidents i ON i.id = c.best_incident_id WHERE c.report_id = %s",
        (report,),
    ).fetchone()
    assert (best, matches) == ("close", 2)


def feeding(square_city: City) -> dict[int, tuple[float, bool]]:
    return {
        report_id: (round(severity, 4), corroborated)
        for report_id, severity, corroborated in square_city.conn.execute(
            "SELECT report_id, severity, corroborated FROM raw.reports_for_risk"
        ).fetchall()
    }


def test_only_approved_or_corroborated_reports_feed_risk_with_a_capped_weight(
    square_city: City,
) -> None:
    add_point(square_city.conn, "p1", *SPOT, T0, category="violent")
    far = east_of(SPOT, 3000)
    pending_alone = insert_report(square_city.conn, *far, T0, category="violent")
    pending_matched = insert_report(square_city.conn, *SPOT, T0, category="violent")
    approved_theft = insert_report(square_city.conn, *far, T0, category="theft", status="approved")
    rejected_matched = insert_report(square_city.conn, *SPOT, T0, status="rejected")
    assert feeding(square_city) == {
        pending_matched: (0.25, True),  # min(1.0, cap 0.5) x reliability 0.5
        approved_theft: (0.2, False),  # min(0.4, 0.5) x 0.5
    }
    assert pending_alone not in feeding(square_city) and rejected_matched not in feeding(
        square_city
    )


def test_a_report_made_during_an_alert_feeds_risk_only_when_police_corroborate_it(
    square_city: City,
) -> None:
    add_point(square_city.conn, "p1", *SPOT, T0, category="violent")
    far = east_of(SPOT, 3000)
    approved_alert = insert_report(square_city.conn, *far, T0, status="approved", during_alert=True)
    matched_alert = insert_report(square_city.conn, *SPOT, T0, during_alert=True)
    assert feeding(square_city) == {matched_alert: (0.25, True)}
    square_city.conn.execute("UPDATE ref.report_parameters SET during_alert_factor = 0.5")
    assert feeding(square_city) == {matched_alert: (0.25, True), approved_alert: (0.125, False)}


def test_a_report_counts_from_its_approval_or_the_police_event_being_seen(
    square_city: City,
) -> None:
    add_point(square_city.conn, "p1", *SPOT, T0, category="violent")
    square_city.conn.execute(
        "UPDATE raw.incidents SET first_seen_at = %s", (T0 + timedelta(hours=6),)
    )
    matched = insert_report(square_city.conn, *SPOT, T0, received_at=T0 + timedelta(hours=1))
    approved = insert_report(
        square_city.conn, *east_of(SPOT, 3000), T0, status="approved", received_at=T0
    )
    square_city.conn.execute(
        "UPDATE raw.user_reports SET moderated_at = %s WHERE id = %s",
        (T0 + timedelta(days=2), approved),
    )
    counts_from = dict(
        square_city.conn.execute(
            "SELECT report_id, counts_from FROM raw.reports_for_risk"
        ).fetchall()
    )
    assert counts_from == {matched: T0 + timedelta(hours=6), approved: T0 + timedelta(days=2)}
