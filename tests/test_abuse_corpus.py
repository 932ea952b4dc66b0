"""Injection and abuse: every scalar input of every operation (walked from the OpenAPI schema)
gets SQL injection, huge and non-finite numbers, overflowing integers, unicode oddities and
bytes that are not UTF-8. No answer is a 5xx or a dropped connection, nothing runs long, the
schema is unchanged, and data changes only where a write was accepted, as the literal text."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from api.app import create_app
from config.settings import Settings
from migrations.snapshot import schema_snapshot
from tests.support.abuse_corpus import Payload, Target, payloads, request_for, targets
from tests.support.dbtools import HALO_SCHEMAS_SQL, DatabaseFactory, ScratchDatabase
from tests.support.live_server import live_server
from tests.support.map_support import seed_map_city, tile_of
from tests.support.opstools import api_key, tuned
from tests.support.report_support import insert_report

# Tables a write may change when it is accepted (2xx); any other change is a failure.
WRITE_TARGETS = {
    ("post", "/api/v1/reports/submit"): {"raw.user_reports"},
    ("post", "/api/v1/devices"): {"push.devices", "push.device_districts"},
}
# Changed by any request, by design: rate-limit counters, a key's last use.
IGNORED_TABLES = {"ops.rate_limit_counters"}
IGNORED_COLUMNS = ["last_used_at"]
SLOW_REQUEST_S = 5.0  # an injected pg_sleep(10) would show
FIRST_SEEDED_REPORT_ID = 5_000_000  # far from every number in the corpus


@dataclass(frozen=True)
class Outcome:
    """One abusive request and how it was answered."""

    target: Target
    payload: Payload
    status: int  # 0: no answer; -1: the HTTP client refused to send it (CR/LF/NUL in a header)
    seconds: float
    idempotency_key: str | bytes | None


@dataclass(frozen=True)
class AbusedApi:
    """The live API under abuse, its database, OpenAPI schema and valid input values."""

    client: httpx.Client
    db: ScratchDatabase
    spec: dict[str, Any]
    known: dict[str, Any]


@pytest.fixture(scope="module")
def abused(
    settings: Settings,
    db_factory: DatabaseFactory,
    template_db: ScratchDatabase,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[AbusedApi]:
    """A seeded city with reports and a live API; limits off (thousands of requests)."""
    db = db_factory.create(template=template_db.name)
    try:
        hotspot, districts = seed_map_city(db.owner_url)
        with psycopg.connect(db.owner_url) as conn:
            conn.execute(
                "SELECT setval(pg_get_serial_sequence('raw.user_reports', 'id'), %s)",
                (FIRST_SEEDED_REPORT_ID,),
            )
            now = datetime.now(UTC)
            report_id = insert_report(conn, *hotspot, now - timedelta(hours=2))
            insert_report(conn, *hotspot, now - timedelta(hours=3), status="approved")
        photo_dir: Path = tmp_path_factory.mktemp("abuse-photos")
        config = tuned(
            settings,
            db,
            rate_limits={"enabled": False},
            reports={
                "photo_dir": photo_dir,
                "per_client_daily_limit": 10_000,
                "per_address_daily_limit": 10_000,
            },
        )
        app = create_app(config)
        known = baseline_values(hotspot, districts["Västra"], report_id)
        # An admin key reaches every route; a well-formed device secret of no device.
        headers = {"X-API-Key": api_key(db, "admin"), "Authorization": f"Bearer {'d' * 43}"}
        with live_server(config, app) as client:
            client.headers.update(headers)
            yield AbusedApi(client, db, app.openapi(), known)
    finally:
        db_factory.drop(db.name)


def baseline_values(
    hotspot: tuple[float, float], district_id: int, report_id: int
) -> dict[str, Any]:
    """Valid values by input name, so that only the abused input is wrong."""
    lon, lat = hotspot
    z, x, y = tile_of(lon, lat, 14)
    now = datetime.now(UTC)
    return {
        "lat": lat,
        "lon": lon,
        "at": now.isoformat(),
        "from": (now - timedelta(days=30)).isoformat(),
        "until": now.isoformat(),
        "occurred_at": lambda: (datetime.now(UTC) - timedelta(minutes=10)).isoformat(),
        "bbox": "18.0,59.3,18.1,59.4",
        "resolution": 9,
        "zoom": 10,
        "district_id": district_id,
        "layer": "risk",
        "z": z,
        "x": x,
        "y": y,
        "kind": "nightly",
        "limit": 10,
        "eps_m": 200,
        "min_points": 3,
        "window_days": 30,
        "report_id": report_id,
        "category": "theft",
        "accuracy_m": 12.5,
        "description": "abuse corpus baseline report",
        "Idempotency-Key": lambda: f"abuse-{uuid.uuid4()}",
        "X-Device-Id": lambda: f"abuse-device-{uuid.uuid4()}",
        "expo_push_token": "ExponentPushToken[abuse-corpus-token-01]",
        "platform": "ios",
        "language": "sv",
        "followed_district_ids": [district_id],
        "threat_levels": ["critical"],
        "start": "22:00",
        "end": "07:00",
        "daily_cap": 5,
    }


def send_all(api: AbusedApi, write: bool) -> list[Outcome]:
    """Every payload into every input of the read (GET) or the write operations."""
    outcomes = []
    for target in targets(api.spec):
        if (target.method != "get") != write:
            continue
        for payload in payloads(in_body=target.location in ("form", "json")):
            request = request_for(api.spec, target, payload, api.known)
            started = time.monotonic()
            try:
                status = api.client.request(**request, timeout=30).status_code
            except httpx.LocalProtocolError:
                status = -1
            except httpx.TransportError:
                status = 0
            key = request["headers"].get("Idempotency-Key")
            outcomes.append(Outcome(target, payload, status, time.monotonic() - started, key))
    return outcomes


def table_rows(owner_url: str) -> dict[str, Counter[str]]:
    """Each table's rows as a multiset of hashes (IGNORED_COLUMNS left out)."""
    with psycopg.connect(owner_url) as conn:
        tables = conn.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n"
            f" ON n.oid = c.relnamespace WHERE n.nspname IN {HALO_SCHEMAS_SQL}"
            " AND c.relkind IN ('r', 'p', 'm') ORDER BY 1, 2"
        ).fetchall()
        rows = {}
        for schema, name in tables:
            if f"{schema}.{name}" in IGNORED_TABLES:
                continue
            query = sql.SQL("SELECT md5((to_jsonb(t) - %s::text[])::text) FROM {}.{} t").format(
                sql.Identifier(schema), sql.Identifier(name)
            )
            hashes = conn.execute(query, (IGNORED_COLUMNS,)).fetchall()
            rows[f"{schema}.{name}"] = Counter(h for (h,) in hashes)
    return rows


def describe(outcomes: list[Outcome]) -> str:
    """Up to 40 outcomes, one per line, for an assertion message."""
    return "\n".join(
        f"{o.status} {o.target.method.upper()} {o.target.path} {o.target.location}"
        f" {o.target.name} = {o.payload.label} ({o.seconds:.1f} s)"
        for o in outcomes[:40]
    )


def assert_clean(outcomes: list[Outcome]) -> None:
    """No 5xx, no dropped connection, nothing slow; a summary printed."""
    statuses = Counter(o.status for o in outcomes)
    inputs = {(o.target.method, o.target.path, o.target.location, o.target.name) for o in outcomes}
    print(f"\n{len(outcomes)} abusive requests into {len(inputs)} inputs: {dict(statuses)}")  # noqa: T201 (shown by pytest -s)
    broken = [o for o in outcomes if o.status >= 500 or o.status == 0]
    assert not broken, describe(broken)
    slow = [o for o in outcomes if o.seconds > SLOW_REQUEST_S]
    assert not slow, describe(slow)


def test_abusive_input_to_every_read_operation_is_refused_or_answered_and_changes_nothing(
    abused: AbusedApi,
) -> None:
    schema_before = schema_snapshot(abused.db.owner_url)
    rows_before = table_rows(abused.db.owner_url)
    outcomes = send_all(abused, write=False)
    assert_clean(outcomes)
    assert schema_snapshot(abused.db.owner_url) == schema_before
    assert table_rows(abused.db.owner_url) == rows_before
    lat, lon = abused.known["lat"], abused.known["lon"]
    assert abused.client.get("/api/v1/risk", params={"lat": lat, "lon": lon}).status_code == 200


def test_abusive_input_to_every_write_operation_stores_nothing_but_literal_text(
    abused: AbusedApi,
) -> None:
    schema_before = schema_snapshot(abused.db.owner_url)
    rows_before = table_rows(abused.db.owner_url)
    outcomes = send_all(abused, write=True)
    assert_clean(outcomes)
    assert schema_snapshot(abused.db.owner_url) == schema_before
    rows_after = table_rows(abused.db.owner_url)
    accepted = [o for o in outcomes if 200 <= o.status < 300]
    writable = set().union(
        *(WRITE_TARGETS.get((o.target.method, o.target.path), set()) for o in accepted)
    )
    for table, before in rows_before.items():
        after = rows_after[table]
        if table in writable:
            assert not before - after, f"{table}: an existing row was changed or deleted"
        else:
            assert after == before, f"{table} changed: {describe(accepted)}"
    assert_reports_hold_the_literal_text(abused, outcomes)


def assert_reports_hold_the_literal_text(api: AbusedApi, outcomes: list[Outcome]) -> None:
    """Each accepted report is one new row; an abusive description is stored as plain text,
    exactly as the form parser and the model normalise it, never interpreted."""
    created = [o for o in outcomes if o.target.path == "/api/v1/reports/submit" and o.status == 201]
    with psycopg.connect(api.db.owner_url) as conn:
        stored = dict(
            conn.execute(
                "SELECT idempotency_key, description FROM raw.user_reports WHERE id > %s",
                (FIRST_SEEDED_REPORT_ID + 2,),
            ).fetchall()
        )
    assert len(stored) == len(created)
    abusive = [o for o in created if o.target.name == "description"]
    for o in abusive:
        assert stored[o.idempotency_key] == as_stored(o.payload.value), o.payload.label
    print(f"reports accepted: {len(created)}, with an abusive description: {len(abusive)}")  # noqa: T201 (shown by pytest -s)


def as_stored(value: str | bytes) -> str | None:
    """A description as the API keeps it: multipart text that is not UTF-8 is read as
    Latin-1 (Starlette), then stripped; empty is no description."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            value = value.decode("latin-1")
    return value.strip() or None
