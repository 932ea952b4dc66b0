"""A generated Stockholm-like incident dataset of any size (up to 10M and beyond), in SQL.

Space: 60 % of incidents fall around ~70 hot spots (16 real places: T-Centralen, Sergels
torg, Medborgarplatsen, Kista, ...; the rest random in the districts) with a Gaussian spread of
60-400 m and Zipf-like weights; the rest are spread over the districts in proportion to area,
as exact points (35 %), district-only (55 %) or municipality-only (10 %) locations, the mix of
police and open-data sources. Time: two years; 25 % of the hot spots are transient (active
4-26 weeks: clusters that appear and fade); the background follows a seasonal profile with a
slight upward trend; every incident's hour of the week follows a diurnal and weekly profile
(evenings, Friday and Saturday nights). Deterministic for a given seed (Python RNG for the
parameters, setseed() for the rows).

Loading is one `INSERT ... SELECT generate_series` per batch of rows, into a table without its
secondary indexes: they are dropped first and built once at the end (a bulk index build is
several times faster than 10M single-row insertions into seven indexes), with a larger
`maintenance_work_mem` and without waiting for the WAL flush at each commit.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

# A Monday 00:00 in Stockholm (23:00 UTC the day before): the data ends the week before.
AS_OF = datetime(2025, 12, 28, 23, 0, tzinfo=UTC)
WEEKS = 104
BATCH_ROWS = 1_000_000
HOT_SHARE = 0.6
LOOKUP_SIZE = 1000
REAL_HOT_SPOTS = [  # lon, lat
    (18.0597, 59.3313),  # T-Centralen
    (18.0637, 59.3326),  # Sergels torg
    (18.0735, 59.3142),  # Medborgarplatsen
    (18.0740, 59.3358),  # Stureplan
    (18.0716, 59.3195),  # Slussen
    (18.0630, 59.3350),  # Hötorget
    (18.0490, 59.3429),  # Odenplan
    (18.0298, 59.3322),  # Fridhemsplan
    (18.0806, 59.2991),  # Gullmarsplan
    (18.0227, 59.3105),  # Liljeholmen
    (17.9424, 59.4030),  # Kista
    (17.9276, 59.3886),  # Rinkeby
    (17.9010, 59.3944),  # Tensta
    (17.9070, 59.2770),  # Skärholmen
    (18.0893, 59.2435),  # Farsta
    (17.8720, 59.3632),  # Vällingby
]
RANDOM_HOT_SPOTS = 54
CATEGORY_WEIGHTS = {
    "theft": 0.34,
    "violent": 0.16,
    "vandalism": 0.12,
    "drugs": 0.1,
    "traffic": 0.08,
    "robbery": 0.06,
    "fire": 0.05,
    "weapons": 0.03,
    "other": 0.06,
}
STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Metres per degree at Stockholm's latitude.
M_PER_DEG_LAT = 111_320.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(59.33))

SETUP_SQL = """
INSERT INTO ref.data_sources (code, name, kind, reliability)
VALUES ('bench_load', 'Generated Stockholm-like incidents', 'points_file', 0.8)
ON CONFLICT (code) DO NOTHING;
CREATE TEMP TABLE load_hotspots (
    i integer PRIMARY KEY, lon float8, lat float8, sigma_m float8,
    first_week integer, last_week integer, category text);
CREATE TEMP TABLE load_background AS
SELECT (row_number() OVER ())::integer AS i, d.id AS district_id, ST_X(p.geom) AS lon,
       ST_Y(p.geom) AS lat
  FROM ref.districts d,
       ST_Dump(ST_GeneratePoints(d.geom, greatest(1, round(d.area_km2 * 200))::integer, 42)) p;
CREATE UNIQUE INDEX ON load_background (i);
ANALYZE load_background;
"""

GENERATE_SQL = """
WITH r AS (
    SELECT g, random() AS u, random() AS u_hot, 1 - random() AS u_r, random() AS u_a,
           random() AS u_bg, random() AS u_kind, random() AS u_week, random() AS u_hour,
           random() AS u_cat, random() AS u_min
      FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) g
), placed AS (
    SELECT r.*, hs.lon AS hot_lon, hs.lat AS hot_lat, hs.sigma_m, hs.first_week, hs.last_week,
           hs.category AS hot_category, bg.district_id, bg.lon AS bg_lon, bg.lat AS bg_lat,
           sqrt(-2 * ln(r.u_r)) AS radius
      FROM r
      JOIN load_background bg ON bg.i = 1 + floor(r.u_bg * %(n_background)s)::integer
      LEFT JOIN load_hotspots hs
        ON r.u < %(hot_share)s AND hs.i = width_bucket(r.u_hot, %(hot_cum)s::float8[])
), shaped AS (
    SELECT p.*,
           CASE WHEN p.hot_lon IS NOT NULL OR p.u_kind < 0.35 THEN 'point'
                WHEN p.u_kind < 0.9 THEN 'district' ELSE 'municipality' END AS support,
           CASE WHEN p.hot_lon IS NOT NULL
                THEN ST_SetSRID(ST_Point(
                       p.hot_lon + p.radius * cos(2 * pi() * p.u_a) * p.sigma_m / %(m_lon)s,
                       p.hot_lat + p.radius * sin(2 * pi() * p.u_a) * p.sigma_m / %(m_lat)s),
                       4326)
                ELSE ST_SetSRID(ST_Point(p.bg_lon, p.bg_lat), 4326) END AS geom,
           CASE WHEN p.hot_lon IS NOT NULL
                THEN p.first_week + floor(p.u_week * (p.last_week - p.first_week + 1))::integer
                ELSE (%(week_lookup)s::integer[])[1 + floor(p.u_week * %(lookup)s)::integer]
           END AS week,
           (%(hour_lookup)s::integer[])[1 + floor(p.u_hour * %(lookup)s)::integer] AS how,
           CASE WHEN p.hot_lon IS NOT NULL AND p.u_cat < 0.7 THEN p.hot_category
                ELSE (%(category_lookup)s::text[])[1 + floor(p.u_cat * %(lookup)s)::integer]
           END AS category
      FROM placed p
), timed AS (
    SELECT s.*, ((%(week_start)s::timestamp - (s.week + 1) * interval '1 week'
                 + s.how * interval '1 hour' + s.u_min * interval '1 hour')
                 AT TIME ZONE 'Europe/Stockholm') AS occurred
      FROM shaped s
)
INSERT INTO raw.incidents (source_id, external_id, event_type, category, severity,
    occurred_at, first_seen_at, location_support, point_geom, h3_cell, district_id,
    municipality_code, raw_payload)
SELECT %(source_id)s, 'load-' || t.g, 'generated', t.category, k.severity_weight, t.occurred,
       t.occurred + (1 + 5 * t.u_min) * interval '1 hour', t.support,
       CASE WHEN t.support = 'point' THEN t.geom END,
       CASE WHEN t.support = 'point' THEN h3_lat_lng_to_cell(t.geom, 10) END,
       CASE WHEN t.support = 'district' THEN t.district_id END,
       CASE WHEN t.support = 'municipality' THEN '0180' END,
       '{}'::jsonb
  FROM timed t JOIN ref.incident_categories k ON k.code = t.category
"""


def inverse_cdf(weights: list[float], values: list[Any], size: int = LOOKUP_SIZE) -> list[Any]:
    """A lookup table: entry i is the value whose cumulative weight first passes (i+0.5)/size,
    so `table[floor(u * size)]` samples the distribution."""
    total = sum(weights)
    table, cumulative, j = [], 0.0, 0
    for i in range(size):
        target = (i + 0.5) / size * total
        while cumulative + weights[j] < target:
            cumulative += weights[j]
            j += 1
        table.append(values[j])
    return table


def hour_profile() -> list[float]:
    """Relative incident rate per hour of the week (0 = Monday 00:00, Stockholm time)."""
    weights = []
    for how in range(168):
        day, hour = divmod(how, 24)
        from_evening = min(abs(hour - 22), 24 - abs(hour - 22))
        diurnal = 0.3 + math.exp(-(from_evening**2) / 18)  # late-evening peak
        diurnal += 0.3 * math.exp(-((hour - 16) ** 2) / 8)  # afternoon commute
        night_out = 1.8 if (day == 4 and hour >= 20) or (day == 5) or (day == 6 and hour < 5) else 1
        weights.append(diurnal * night_out)
    return weights


def week_profile() -> list[float]:
    """Relative rate per week back from the as-of week: summer peak, +15 % trend over 2 years."""
    return [
        (1 + 0.25 * math.cos(2 * math.pi * (w - 26) / 52)) * (1 + 0.15 * (WEEKS - w) / WEEKS)
        for w in range(WEEKS)
    ]


def hot_spots(conn: psycopg.Connection, rng: random.Random) -> list[float]:
    """Insert the hot spots; returns the cumulative-weight thresholds for width_bucket."""
    rows = conn.execute(
        "SELECT ST_X(geom), ST_Y(geom) FROM ST_Dump(ST_GeneratePoints("
        "(SELECT ST_Union(geom) FROM ref.districts), %s, 7))",
        (RANDOM_HOT_SPOTS,),
    ).fetchall()
    centres = REAL_HOT_SPOTS + [(lon, lat) for lon, lat in rows]
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(centres))]
    categories = list(CATEGORY_WEIGHTS)
    with conn.cursor() as cur:
        for i, (lon, lat) in enumerate(centres, start=1):
            transient = rng.random() < 0.25 and i > 4
            length = rng.randint(4, 26)
            first = rng.randint(0, WEEKS - length) if transient else 0
            last = first + length - 1 if transient else WEEKS - 1
            category = rng.choices(categories, weights=list(CATEGORY_WEIGHTS.values()))[0]
            cur.execute(
                "INSERT INTO load_hotspots VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (i, lon, lat, rng.uniform(60, 400), first, last, category),
            )
    total = sum(weights)
    thresholds, cumulative = [0.0], 0.0
    for w in weights[:-1]:
        cumulative += w / total
        thresholds.append(cumulative)
    return thresholds


# The secondary indexes of raw.incidents (not the ones behind its primary key and unique
# constraint): dropped before a bulk load, rebuilt from their definitions after it.
SECONDARY_INDEXES_SQL = """
SELECT c.relname, pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'raw.incidents'::regclass
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
 ORDER BY 1
"""


def drop_secondary_indexes(conn: psycopg.Connection) -> list[str]:
    """Drop raw.incidents' secondary indexes; returns their definitions."""
    found = conn.execute(SECONDARY_INDEXES_SQL).fetchall()
    for name, _ in found:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier("raw", name)))
    return [definition for _, definition in found]


def generate_incidents(
    owner_url: str, rows: int, seed: int = 2025, progress: Callable[[int], None] | None = None
) -> float:
    """Insert `rows` generated incidents in batches; returns the seconds it took."""
    rng = random.Random(seed)
    started = time.perf_counter()
    with psycopg.connect(owner_url) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SELECT setseed(%s)", (rng.random() * 2 - 1,))
        conn.execute(SETUP_SQL)
        source_id = conn.execute(
            "SELECT id FROM ref.data_sources WHERE code = 'bench_load'"
        ).fetchone()
        n_background = conn.execute("SELECT count(*) FROM load_background").fetchone()
        assert source_id and n_background
        params = {
            "source_id": source_id[0],
            "n_background": n_background[0],
            "hot_share": HOT_SHARE,
            "hot_cum": hot_spots(conn, rng),
            "m_lon": M_PER_DEG_LON,
            "m_lat": M_PER_DEG_LAT,
            "week_lookup": inverse_cdf(week_profile(), list(range(WEEKS))),
            "hour_lookup": inverse_cdf(hour_profile(), list(range(168))),
            "category_lookup": inverse_cdf(list(CATEGORY_WEIGHTS.values()), list(CATEGORY_WEIGHTS)),
            "lookup": LOOKUP_SIZE,
            "week_start": AS_OF.astimezone(STOCKHOLM).replace(tzinfo=None),
        }
        indexes = drop_secondary_indexes(conn)
        conn.commit()
        for lo in range(1, rows + 1, BATCH_ROWS):
            hi = min(rows, lo + BATCH_ROWS - 1)
            conn.execute(GENERATE_SQL, {**params, "lo": lo, "hi": hi})
            conn.commit()
            if progress:
                progress(hi)
        for definition in indexes:
            conn.execute(definition)
            conn.commit()
        conn.execute("ANALYZE raw.incidents")
        conn.commit()
    return time.perf_counter() - started
