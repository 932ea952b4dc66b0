"""Findings of the 2026-12-05 review, each closed with a test that failed before: JIT on API
queries, report text that hides or fakes characters, oversized and ambiguous headers, chunked
oversized bodies, 422s naming database constraints, shallow production secret checks."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import ValidationError

from api.app import open_pool
from api.reports.moderation import REVIEW_SQL
from config.settings import REPO_ROOT, Settings
from tests.support.dbtools import ScratchDatabase
from tests.support.live_server import live_server
from tests.support.opstools import api_key, app_with_probe_routes, tuned
from tests.support.report_support import count_reports, form, new_key, report_settings, submit


@pytest.fixture
def client(settings: Settings, db: ScratchDatabase, tmp_path: Path) -> Iterator[httpx.Client]:
    with live_server(report_settings(settings, db, tmp_path / "photos")) as client:
        yield client


def _plan_of(settings: Settings, query: str, params: dict[str, Any]) -> list[Any]:
    """EXPLAIN ANALYZE of a query on a connection of the API's own pool, with PostgreSQL's
    JIT threshold at 0 so that any query would be compiled if JIT were on."""

    async def explain() -> list[Any]:
        pool = open_pool(settings)
        await pool.open()
        try:
            async with pool.connection() as conn:
                await conn.execute("SET jit_above_cost = 0")
                cur = await conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {query}", params)
                row = await cur.fetchone()
        finally:
            await pool.close()
        assert row is not None
        plan: list[Any] = row[0]
        return plan

    return asyncio.run(explain())


def test_the_moderation_queue_is_planned_without_jit(
    settings: Settings, db: ScratchDatabase
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        row = conn.execute("SELECT pg_jit_available()").fetchone()
    if not row or not row[0]:
        pytest.skip("this server has no JIT to turn off")
    config = tuned(settings, db)
    plan = _plan_of(config, REVIEW_SQL, {"status": "pending", "after_id": 0, "limit": 50})
    assert "JIT" not in plan[0], plan[0].get("JIT")


REFUSED_TEXT = {
    "C1 control (U+0085)": "before\u0085after",
    "right-to-left override": "harmless \u202egpj.exe",
    "bidi isolate": "text \u2067hidden\u2069",
    "zero-width space": "in\u200bvisible",
    "zero-width joiner": "a\u200db",
    "byte-order mark": "\ufeffstart",
}


@pytest.mark.parametrize("text", REFUSED_TEXT.values(), ids=REFUSED_TEXT.keys())
def test_report_text_with_hidden_or_reordering_characters_is_422(
    client: httpx.Client, db: ScratchDatabase, text: str
) -> None:
    answer = submit(client, form(description=text), new_key())
    assert answer.status_code == 422, answer.text
    assert "is not allowed" in json.dumps(answer.json())
    assert count_reports(db) == 0


def test_report_text_in_swedish_and_with_emoji_is_kept(
    client: httpx.Client, db: ScratchDatabase
) -> None:
    text = "Cykel stulen vid Åhléns, två män sprang mot Slussen 🚲 \u2013 \u201dsnabbt\u201d"
    answer = submit(client, form(description=text), new_key())
    assert answer.status_code == 201, answer.text
    with psycopg.connect(db.owner_url) as conn:
        row = conn.execute("SELECT description FROM raw.user_reports").fetchone()
    assert row == (text,)


def test_invalid_utf8_in_a_multipart_text_field_is_422_not_mojibake(
    client: httpx.Client, db: ScratchDatabase
) -> None:
    fields = {name: (None, value.encode()) for name, value in form().items()}
    fields["description"] = (None, b"Stulen cykel \xff\xfe vid \xe5 torget")
    answer = client.post(
        "/api/v1/reports/submit", files=fields, headers={"Idempotency-Key": new_key()}
    )
    assert answer.status_code == 422, answer.text
    assert "U+FFFD" in json.dumps(answer.json())
    assert count_reports(db) == 0


def test_a_header_larger_than_the_limit_is_431(settings: Settings, db: ScratchDatabase) -> None:
    config = tuned(settings, db, security={"max_header_bytes": 8192})
    with live_server(config, app_with_probe_routes(config)) as client:
        normal = client.get("/api/v1/test/ping", headers={"X-Padding": "x" * 4000})
        huge = client.get("/api/v1/test/ping", headers={"X-Padding": "x" * 65_536})
    assert normal.status_code == 200
    assert huge.status_code == 431
    assert huge.headers["content-type"].startswith("application/problem+json")


def test_two_api_key_headers_are_refused_not_resolved(
    settings: Settings, db: ScratchDatabase
) -> None:
    admin = api_key(db, "admin")
    config = tuned(settings, db)
    with live_server(config, app_with_probe_routes(config)) as client:
        one = client.get("/api/v1/admin/reports", headers={"X-API-Key": admin})
        two = client.get(
            "/api/v1/admin/reports",
            headers=[("X-API-Key", admin), ("X-API-Key", "halo_wrong")],
        )
    assert one.status_code == 200
    assert two.status_code == 400
    assert "x-api-key" in two.json()["detail"]


def _chunks(total: int, size: int = 4096) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


def test_chunked_bodies_over_the_limit_are_413_on_form_and_json_routes(
    settings: Settings, db: ScratchDatabase
) -> None:
    config = tuned(settings, db, security={"max_body_bytes": 4096, "max_upload_bytes": 16_384})
    boundary = "halo-boundary"
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\n'.encode()
        + b"x" * 40_000
        + f"\r\n--{boundary}--\r\n".encode()
    )
    with live_server(config) as client:
        form_answer = client.post(
            "/api/v1/reports/submit",
            content=iter([multipart[i : i + 4096] for i in range(0, len(multipart), 4096)]),
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Idempotency-Key": new_key(),
            },
        )
        json_answer = client.post(
            "/api/v1/devices",
            content=_chunks(20_000),
            headers={"Content-Type": "application/json"},
        )
    assert form_answer.status_code == 413, form_answer.text
    assert json_answer.status_code == 413, json_answer.text
    assert form_answer.headers["content-type"].startswith("application/problem+json")


def test_a_constraint_refusal_names_no_database_object(db: ScratchDatabase) -> None:
    from api.errors import _database_error

    with psycopg.connect(db.owner_url) as conn:
        conn.execute("CREATE TABLE public.probe (n int CONSTRAINT probe_n_small CHECK (n < 5))")
        with pytest.raises(psycopg.errors.CheckViolation) as caught:
            conn.execute("INSERT INTO public.probe VALUES (7)")
    assert "probe_n_small" in str(caught.value)
    answer = asyncio.run(_database_error(None, caught.value))  # type: ignore[arg-type]
    body = json.loads(bytes(answer.body))
    assert answer.status_code == 422
    assert "probe" not in json.dumps(body)
    assert body["detail"] == "The values break a rule of the stored data."


STRONG_PW = "Xq7vR2mKp9LwT4sZb8Nc"
STRONG_URL = f"postgresql://u:{STRONG_PW}@db/halo"
STRONG_SALT = "k3Jx9-Vb7QeZ2pLr8WmT"
STRONG_PUSH_KEY = "3q2-7wVfN8lJ0xYt5bRkHc1mZp4sW6uEa9dGiQoTnLU"


def _production(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    base = {
        "HALO_ENV": "production",
        "DATABASE_URL": STRONG_URL,
        "HALO_API_DATABASE_URL": STRONG_URL,
        "HALO_ANALYST_DATABASE_URL": STRONG_URL,
        "HALO_CLIENT_HASH_SALT": STRONG_SALT,
        "HALO_PUSH_TOKEN_KEY": STRONG_PUSH_KEY,
    }
    for name, value in {**base, **env}.items():
        monkeypatch.setenv(name, value)
    return Settings()  # type: ignore[call-arg]


WEAK = {
    "salt of 16 times a": ({"HALO_CLIENT_HASH_SALT": "a" * 16}, "HALO_CLIENT_HASH_SALT"),
    "12-character aaaa password": (
        {"HALO_API_DATABASE_URL": "postgresql://u:aaaaaaaaaaaa@db/halo"},
        "HALO_API_DATABASE_URL",
    ),
    "weak analyst password": (
        {"HALO_ANALYST_DATABASE_URL": "postgresql://u:abababababababab@db/halo"},
        "HALO_ANALYST_DATABASE_URL",
    ),
    "push key of one repeated byte": ({"HALO_PUSH_TOKEN_KEY": "q" * 43}, "HALO_PUSH_TOKEN_KEY"),
}


@pytest.mark.parametrize(("env", "named"), WEAK.values(), ids=WEAK.keys())
def test_production_refuses_predictable_secrets(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    assert _production(monkeypatch).env == "production"
    with pytest.raises(ValidationError, match=named):
        _production(monkeypatch, **env)


def _run_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "from config.settings import get_settings; get_settings()"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True
    )


def test_production_reads_no_local_env_file_and_refuses_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "local.env").write_text(
        f"DATABASE_URL={STRONG_URL}\nHALO_API_DATABASE_URL={STRONG_URL}\n"
    )
    env = {"PATH": os.environ["PATH"], "HALO_HOME": str(tmp_path), "HOME": str(tmp_path)}
    local = _run_settings(env)
    production = _run_settings({**env, "HALO_ENV": "production"})
    assert local.returncode == 0, local.stderr
    assert production.returncode != 0
    lines = production.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in production.stderr, production.stderr
    assert lines[0].startswith("halo: configuration refused:")
    assert "database_url" in lines[0]  # not taken from local.env
