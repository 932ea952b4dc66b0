"""A small synthetic city for risk tests: two square districts and incidents placed by hand."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import psycopg

# Two districts side by side in central Stockholm, about 1.7 x 2.2 km each.
DISTRICT_BOXES = {
    "Västra": (18.05, 59.32, 18.08, 59.34),
    "Östra": (18.08, 59.32, 18.11, 59.34),
}
AS_OF = datetime.fromisoformat("2025-06-30T12:00:00+00:00")


def make_city(conn: psycopg.Connection) -> dict[str, int]:
    """Municipality 0180, the city (its boundary: the two districts) and the two districts;
    returns district ids by name."""
    conn.execute(
        "INSERT INTO ref.municipalities (code, name, name_key, geom) VALUES"
        " ('0180', 'Stockholm', 'stockholm', ST_Multi(ST_MakeEnvelope(17.9, 59.25, 18.2, 59.4,"
        " 4326)))"
    )
    city_id = add_test_city(conn)
    ids = {}
    for name, box in DISTRICT_BOXES.items():
        row = conn.execute(
            "INSERT INTO ref.districts (name, name_key, municipality_code, geom, area_km2, source,"
            " city_id)"
            " SELECT %s, lower(%s), '0180', g, ST_Area(g::geography) / 1e6, 'test', %s"
            " FROM (SELECT ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 4326)) AS g) box"
            " RETURNING id",
            (name, name, city_id, *box),
        ).fetchone()
        assert row is not None
        ids[name] = row[0]
    conn.execute(
        "UPDATE ref.cities SET boundary = (SELECT ST_Multi(ST_Union(geom)) FROM ref.districts"
        " WHERE city_id = %s) WHERE id = %s",
        (city_id, city_id),
    )
    return ids


def add_test_city(conn: psycopg.Connection, code: str = "stockholm") -> int:
    """A city row in Stockholm's time zone covering municipality 0180 (no boundary yet), with
    Sweden's emergency and police numbers.

    Its alert cap is the largest allowed (50 %), not the default 5 %: the toy city's hot spots
    are a large share of its two small districts by design, and the tests built on it check
    scores, zones and thresholds with k = 1 (the per-city rule has its own tests:
    tests/test_alert_rule.py, tests/test_cities.py)."""
    row = conn.execute(
        "INSERT INTO ref.cities (code, name, time_zone, municipality_codes, view_lat, view_lon,"
        " view_zoom, alert_area, emergency_number, police_number)"
        " VALUES (%s, 'Stockholm', 'Europe/Stockholm', '{0180}', 59.33, 18.07, 11, 0.5,"
        " '112', '114 14')"
        " RETURNING id",
        (code,),
    ).fetchone()
    assert row is not None
    return int(row[0])


def add_point(
    conn: psycopg.Connection,
    ext_id: str,
    lon: float,
    lat: float,
    when: datetime,
    category: str = "violent",
) -> None:
    """An exactly located incident (support 'point')."""
    conn.execute(
        "INSERT INTO raw.incidents (source_id, external_id, event_type, category, severity,"
        " occurred_at, first_seen_at, location_support, point_geom, h3_cell, raw_payload)"
        " SELECT 1, %(id)s, 'test', %(cat)s, k.severity_weight, %(t)s, %(t)s, 'point', g,"
        " h3_lat_lng_to_cell(g, 10), '{}' FROM ref.incident_categories k,"
        " (SELECT ST_SetSRID(ST_Point(%(lon)s, %(lat)s), 4326) AS g) p WHERE k.code = %(cat)s",
        {"id": ext_id, "cat": category, "t": when, "lon": lon, "lat": lat},
    )


def add_area(
    conn: psycopg.Connection,
    ext_id: str,
    support: str,
    when: datetime,
    *,
    district_id: int | None = None,
    category: str = "theft",
) -> None:
    """An incident known only to a district, the municipality or the county."""
    conn.execute(
        "INSERT INTO raw.incidents (source_id, external_id, event_type, category, severity,"
        " occurred_at, first_seen_at, location_support, district_id, municipality_code,"
        " county_code, raw_payload)"
        " SELECT 1, %s, 'test', %s, k.severity_weight, %s, %s, %s, %s,"
        " CASE WHEN %s IN ('municipality', 'county') THEN '0180' END, '01', '{}'"
        " FROM ref.incident_categories k WHERE k.code = %s",
        (ext_id, category, when, when, support, district_id, support, category),
    )


def add_hotspot_history(
    conn: psycopg.Connection,
    weeks: int = 80,
    seed: int = 7,
    hot_per_week: int = 6,
    background_per_week: int = 6,
) -> tuple[float, float]:
    """Weekly incidents for `weeks` weeks before AS_OF: a hot spot in Västra on top of a
    uniform background over both districts. Returns the hot spot (lon, lat)."""
    rng = random.Random(seed)
    hot = (18.062, 59.331)
    n = 0
    for week in range(weeks):
        start = AS_OF - timedelta(weeks=week + 1)
        for _ in range(hot_per_week):
            n += 1
            when = start + timedelta(hours=rng.uniform(0, 168))
            add_point(
                conn, f"h{n}", hot[0] + rng.gauss(0, 0.0008), hot[1] + rng.gauss(0, 0.0004), when
            )
        for _ in range(background_per_week):
            n += 1
            when = start + timedelta(hours=rng.uniform(0, 168))
            add_point(
                conn,
                f"b{n}",
                rng.uniform(18.051, 18.109),
                rng.uniform(59.321, 59.339),
                when,
                category="theft",
            )
    return hot
