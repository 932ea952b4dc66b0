"""How the risk pipeline's cost grows with data: refresh and retrain on 10k, 100k and 1M
generated incidents over Stockholm's real districts, side by side in one run.

    .venv/bin/python -m bench.bench_risk [--sizes 10000,100000,1000000]

Prints a table of seconds and the growth against the smallest size. Each size gets its own
scratch database, dropped afterwards.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import psycopg

from config.settings import get_settings
from pipeline.ingest.boundaries import load_boundaries
from pipeline.ingest.cities import add_city
from pipeline.risk.model import retrain
from pipeline.risk.refresh import refresh_risk
from tests.support.dbtools import DatabaseFactory
from tests.support.ingest_support import stockholm_city

AS_OF = datetime(2025, 12, 31, tzinfo=UTC)

# Three years of incidents: 45% exact points in the city's bounding box, 30% district-level,
# 25% municipality-only; categories drawn from the risk-relevant ones.
GENERATE_SQL = """
INSERT INTO raw.incidents (source_id, external_id, event_type, category, severity,
    occurred_at, first_seen_at, location_support, point_geom, h3_cell, district_id,
    municipality_code, raw_payload)
SELECT 1, 'bench-' || g, 'generated', k.code, k.severity_weight, t, t + interval '2 hours',
       s.support,
       CASE WHEN s.support = 'point' THEN pt END,
       CASE WHEN s.support = 'point' THEN h3_lat_lng_to_cell(pt, 10) END,
       CASE WHEN s.support = 'district' THEN d.id END,
       CASE WHEN s.support = 'municipality' THEN '0180' END,
       '{}'
FROM generate_series(1, %(n)s) AS g
CROSS JOIN LATERAL (SELECT %(as_of)s::timestamptz - random() * interval '1095 days' AS t,
                           random() AS u, g AS salt) r
CROSS JOIN LATERAL (SELECT CASE WHEN r.u < 0.45 THEN 'point'
                                WHEN r.u < 0.75 THEN 'district'
                                ELSE 'municipality' END AS support) s
CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_Point(17.85 + random() * 0.33,
                                               59.23 + random() * 0.2), 4326) AS pt) p
CROSS JOIN LATERAL (SELECT id FROM ref.districts
                    ORDER BY id OFFSET (r.salt %% 117) LIMIT 1) d
CROSS JOIN LATERAL (SELECT code, severity_weight FROM ref.incident_categories
                    WHERE counts_for_risk ORDER BY code OFFSET (r.salt %% 9) LIMIT 1) k
"""


def measure(owner_url: str, size: int) -> dict[str, float]:
    """Generate `size` incidents, then time a refresh, a retrain and a second refresh."""
    data = get_settings().data_dir / "boundaries"
    load_boundaries(
        owner_url,
        data / "stockholm_stadsdelar_utan_vatten_simplified.geojson",
        data / "sweden_kommuner_scb.geojson",
    )
    add_city(owner_url, stockholm_city(get_settings().data_dir))
    start = time.perf_counter()
    with psycopg.connect(owner_url) as conn:
        conn.execute(GENERATE_SQL, {"n": size, "as_of": AS_OF})
        conn.execute("ANALYZE raw.incidents")
    generate_s = time.perf_counter() - start
    timings = {"generate_s": generate_s}
    for label, step in (
        ("refresh_s", lambda: refresh_risk(owner_url, AS_OF)),
        ("retrain_s", lambda: retrain(owner_url, AS_OF)),
        ("refresh_with_model_s", lambda: refresh_risk(owner_url, AS_OF)),
    ):
        start = time.perf_counter()
        step()
        timings[label] = time.perf_counter() - start
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    settings = get_settings()
    factory = DatabaseFactory(
        settings.database_url, settings.api_database_url, settings.analyst_database_url or ""
    )
    template = factory.migrated_template()
    results = {}
    try:
        for size in sizes:
            db = factory.create(template=template.name, suffix=f"bench_risk_{size}")
            try:
                results[size] = measure(db.owner_url, size)
            finally:
                factory.drop(db.name)
            print(f"measured {size:,} incidents", flush=True)
    finally:
        factory.drop(template.name)
    base = results[sizes[0]]
    head = f"{'incidents':>10} {'generate s':>11} {'refresh s':>10} {'retrain s':>10}"
    head += f" {'refresh+model s':>16} {'refresh x':>10} {'retrain x':>10}"
    print(head)
    for size, t in results.items():
        print(
            f"{size:>10,} {t['generate_s']:>11.2f} {t['refresh_s']:>10.2f} {t['retrain_s']:>10.2f}"
            f" {t['refresh_with_model_s']:>16.2f} {t['refresh_s'] / base['refresh_s']:>10.1f}"
            f" {t['retrain_s'] / base['retrain_s']:>10.1f}"
        )
    print("x = time relative to the smallest size (data grows 10x per row)")


if __name__ == "__main__":
    main()
