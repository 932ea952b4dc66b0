"""Helpers of the operations and security tests: tuned settings, API keys, probe routes."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import FastAPI, Request

from api.app import create_app
from cli.keys import create_key
from config.settings import Settings
from tests.support.dbtools import ScratchDatabase, settings_for


def tuned(settings: Settings, db: ScratchDatabase, **parts: dict[str, Any]) -> Settings:
    """The run's settings on `db`, with fields of the sub-settings replaced.

    tuned(s, db, security={"https_only": True}, rate_limits={"reads_requests": 3})
    """
    base = settings_for(settings, db)
    update = {name: getattr(base, name).model_copy(update=fields) for name, fields in parts.items()}
    return base.model_copy(update=update)


def api_key(db: ScratchDatabase, *scopes: str, name: str | None = None) -> str:
    """A new live key with these scopes, created the way `halo keys create` does (a fresh name
    each time: live keys' names are unique)."""
    name = name or f"test-{'-'.join(scopes)}-{secrets.token_hex(4)}"
    return create_key(db.owner_url, name, list(scopes))[1]


def app_with_probe_routes(settings: Settings) -> FastAPI:
    """The real app plus routes of each rate-limit class and one that fails."""
    app = create_app(settings)

    async def ping() -> dict[str, str]:
        return {"pong": "ok"}

    async def tile(z: int) -> dict[str, int]:
        return {"z": z}

    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    async def boom() -> None:
        raise RuntimeError("secret internal detail: password=hunter2")

    app.add_api_route("/api/v1/test/ping", ping, methods=["GET"])
    app.add_api_route("/tiles/test/{z}.mvt", tile, methods=["GET"])
    app.add_api_route("/api/v1/test/echo", echo, methods=["POST"])
    app.add_api_route("/api/v1/test/boom", boom, methods=["GET"])
    return app


SEED_SQL = """
INSERT INTO ref.municipalities (code, name, name_key, geom) VALUES
  ('0180', 'Stockholm', 'stockholm',
   ST_Multi(ST_MakeEnvelope(17.9, 59.25, 18.2, 59.40, 4326)));
INSERT INTO ref.cities (code, name, time_zone, municipality_codes) VALUES
  ('stockholm', 'Stockholm', 'Europe/Stockholm', '{0180}');
INSERT INTO ref.districts (name, name_key, municipality_code, geom, area_km2, source, city_id)
SELECT v.name, v.key, '0180', v.geom, v.area, 'test', c.id
  FROM ref.cities c, (VALUES
  ('Södermalm', 'södermalm',
   ST_Multi(ST_MakeEnvelope(18.03, 59.305, 18.11, 59.325, 4326)), 5.7),
  ('Kungsholmen', 'kungsholmen',
   ST_Multi(ST_MakeEnvelope(17.98, 59.325, 18.05, 59.34, 4326)), 3.9)) AS v (name, key, geom, area)
 WHERE c.code = 'stockholm';
INSERT INTO ref.places (name, name_key, kind, geom, radius_m, district_id) VALUES
  ('Medborgarplatsen', 'medborgarplatsen', 'square',
   ST_SetSRID(ST_MakePoint(18.0735, 59.3142), 4326), 80,
   (SELECT id FROM ref.districts WHERE name_key = 'södermalm'));
INSERT INTO raw.incidents (source_id, external_id, event_type, category, severity,
    occurred_at, first_seen_at, title, summary, location_support, support_radius_m,
    point_geom, h3_cell, place_id, district_id, municipality_code, county_code, raw_payload)
SELECT s.id, v.ext, v.type, v.cat, 0.5, now() - interval '2 days', now() - interval '1 day',
       'Rån, Stockholm', 'Secret free text about a person', v.support, v.radius,
       v.pt, CASE WHEN v.pt IS NOT NULL THEN h3_lat_lng_to_cell(v.pt, 10) END,
       CASE WHEN v.support = 'place' THEN (SELECT id FROM ref.places LIMIT 1) END,
       CASE WHEN v.support = 'district'
            THEN (SELECT id FROM ref.districts WHERE name_key = 'kungsholmen') END,
       CASE WHEN v.support = 'municipality' THEN '0180' END,
       CASE WHEN v.support = 'county' THEN '01' END,
       jsonb_build_object('id', v.ext)
  FROM ref.data_sources s,
       (VALUES ('p1', 'Rån', 'robbery', 'point', 25::real,
                ST_SetSRID(ST_MakePoint(18.07, 59.315), 4326)),
               ('p2', 'Stöld', 'theft', 'point', NULL,
                ST_SetSRID(ST_MakePoint(18.06, 59.31), 4326)),
               ('p3', 'Misshandel', 'violent', 'place', NULL, NULL::geometry),
               ('p4', 'Skadegörelse', 'vandalism', 'district', NULL, NULL),
               ('p5', 'Brand', 'fire', 'municipality', NULL, NULL),
               ('p6', 'Sammanfattning', 'non_incident', 'district', NULL, NULL),
               ('p7', 'Trafikolycka', 'traffic', 'county', NULL, NULL))
         AS v (ext, type, cat, support, radius, pt)
 WHERE s.code = 'polisen';
INSERT INTO ops.job_runs (kind, status, started_at, finished_at, rows_affected)
VALUES ('nightly', 'success', now() - interval '5 hours', now() - interval '4 hours', 7);
"""


def seed_small_city(owner_url: str) -> None:
    """Two districts, a place and incidents of every location support, as the owner."""
    import psycopg

    with psycopg.connect(owner_url) as conn:
        conn.execute(SEED_SQL)
