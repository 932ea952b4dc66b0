"""Health endpoints over real HTTP against the real database."""

from __future__ import annotations

import httpx
import psycopg

from config.settings import Settings
from tests.support.dbtools import ScratchDatabase, settings_for, with_database
from tests.support.live_server import free_port, live_server


def test_liveness_answers_ok(api: httpx.Client) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_reports_extension_versions_and_migration_head(api: httpx.Client) -> None:
    response = api.get("/health/ready")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["extensions"]["versions"]["postgis"].startswith("3.5.")
    assert checks["extensions"]["versions"]["h3"].startswith("4.2.")
    assert checks["migrations"]["ok"] is True
    assert checks["migrations"]["current"] == checks["migrations"]["head"]


def test_readiness_is_degraded_until_a_nightly_run_succeeds(
    api: httpx.Client, db: ScratchDatabase
) -> None:
    before = api.get("/health/ready").json()
    assert before["status"] == "degraded"
    assert before["checks"]["nightly"]["last_success_age_hours"] is None
    with psycopg.connect(db.owner_url) as conn:
        conn.execute(
            "INSERT INTO ops.job_runs (kind, status, started_at, finished_at, rows_affected)"
            " VALUES ('nightly', 'success', now() - interval '2 hours', now() - interval '1 hour',"
            " 10)"
        )
    after = api.get("/health/ready").json()
    assert after["status"] == "ok"
    assert 0.9 < after["checks"]["nightly"]["last_success_age_hours"] < 1.1


def test_readiness_is_degraded_after_a_failed_nightly_run(
    api: httpx.Client, db: ScratchDatabase
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        conn.execute(
            "INSERT INTO ops.job_runs (kind, status, started_at, finished_at) VALUES"
            " ('nightly', 'success', now() - interval '3 hours', now() - interval '2 hours'),"
            " ('nightly', 'failed', now() - interval '1 hour', now())"
        )
    body = api.get("/health/ready").json()
    assert body["status"] == "degraded"
    assert body["checks"]["nightly"]["last_status"] == "failed"


def test_readiness_is_503_when_migrations_are_behind(
    api: httpx.Client, db: ScratchDatabase
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        conn.execute("UPDATE public.alembic_version SET version_num = 'older'")
    response = api.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json()["checks"]["migrations"]["current"] == "older"


def test_readiness_is_503_when_the_database_is_unreachable(
    settings: Settings, db: ScratchDatabase
) -> None:
    dead = with_database(f"postgresql://halo_api:x@127.0.0.1:{free_port()}/x", "x")
    unreachable = settings_for(settings, db).model_copy(update={"api_database_url": dead})
    with live_server(unreachable) as client:
        response = client.get("/health/ready")
        assert client.get("/health").status_code == 200
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["ok"] is False


def test_unknown_route_is_a_problem_document(api: httpx.Client) -> None:
    response = api.get("/no/such/thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


def test_openapi_documentation_is_served(api: httpx.Client) -> None:
    assert api.get("/docs").status_code == 200
    paths = api.get("/openapi.json").json()["paths"]
    assert "/health/ready" in paths
