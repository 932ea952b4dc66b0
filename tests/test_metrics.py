"""Monitoring over real HTTP: /metrics in Prometheus text, counted by route template, pool and
job facts from the database; Sentry receives unhandled errors when a DSN is set."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import psycopg
import pytest
import sentry_sdk
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from config.settings import Settings
from tests.support.dbtools import ScratchDatabase
from tests.support.live_server import free_port, live_server
from tests.support.opstools import app_with_probe_routes, tuned

# Prometheus samples by (name, labels).
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(text: str) -> Samples:
    """Every sample of a Prometheus text exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def test_metrics_parse_as_prometheus_text_with_route_templates(
    settings: Settings, db: ScratchDatabase
) -> None:
    config = tuned(settings, db)
    with live_server(config, app_with_probe_routes(config)) as client:
        for z in (3, 4, 5):
            client.get(f"/tiles/test/{z}.mvt")
        client.get("/no/such/page")
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = scrape(response.text)
    tiles = value(
        samples, "halo_http_requests_total", method="GET", route="/tiles/test/{z}.mvt", status="200"
    )
    assert tiles is not None and tiles >= 3
    assert not any("/tiles/test/3.mvt" in str(labels) for _, labels in samples)
    assert value(samples, "halo_http_requests_total", method="GET", route="unmatched", status="404")
    count = value(
        samples,
        "halo_http_request_duration_seconds_count",
        method="GET",
        route="/tiles/test/{z}.mvt",
    )
    assert count is not None and count >= 3
    assert value(samples, "halo_db_pool_max_connections") == config.pool_max_size
    assert value(samples, "halo_db_pool_connections", state="in_use") is not None
    assert value(samples, "halo_database_up") == 1


def test_metrics_report_nightly_age_and_job_failures(
    settings: Settings, db: ScratchDatabase
) -> None:
    with live_server(tuned(settings, db)) as client:
        before = scrape(client.get("/metrics").text)
        with psycopg.connect(db.owner_url) as conn:
            conn.execute(
                "INSERT INTO ops.job_runs (kind, status, started_at, finished_at) VALUES"
                " ('nightly', 'success', now() - interval '3 hours', now() - interval '2 hours'),"
                " ('ingest', 'failed', now() - interval '1 hour', now() - interval '50 minutes'),"
                " ('ingest', 'failed', now() - interval '20 minutes', now() - interval '9 minutes')"
            )
        after = scrape(client.get("/metrics").text)
    assert value(before, "halo_nightly_last_success_age_seconds") == float("inf")
    age = value(after, "halo_nightly_last_success_age_seconds")
    assert age is not None and 7100 < age < 7300
    assert value(after, "halo_job_failed_runs", kind="ingest") == 2
    assert value(after, "halo_job_failed_runs", kind="nightly") == 0
    assert value(after, "halo_job_last_success_timestamp_seconds", kind="nightly")


def test_tile_cache_counters_are_exposed(settings: Settings, db: ScratchDatabase) -> None:
    from api.metrics import TILE_CACHE_HITS

    TILE_CACHE_HITS.labels(layer="risk").inc()
    with live_server(tuned(settings, db)) as client:
        samples = scrape(client.get("/metrics").text)
    hits = value(samples, "halo_tile_cache_hits_total", layer="risk")
    assert hits is not None and hits >= 1


def test_metrics_are_refused_outside_the_allowed_networks(
    settings: Settings, db: ScratchDatabase
) -> None:
    config = tuned(settings, db, security={"metrics_allowed_networks": ["10.0.0.0/8"]})
    with live_server(config) as client:
        response = client.get("/metrics")
    assert response.status_code == 403
    assert "halo_http" not in response.text


class _Inbox(BaseHTTPRequestHandler):
    """A stand-in Sentry ingestion endpoint that keeps the envelopes it is sent."""

    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sentry_inbox() -> Iterator[tuple[str, list[bytes]]]:
    """A DSN pointing at a local inbox; Sentry is switched off again afterwards."""
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), _Inbox)
    _Inbox.received.clear()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://publickey@127.0.0.1:{port}/42", _Inbox.received
    sentry_sdk.get_client().close(timeout=2)
    sentry_sdk.init()  # no DSN: a disabled client for the rest of the run
    server.shutdown()


def test_sentry_receives_unhandled_errors_when_a_dsn_is_set(
    settings: Settings, db: ScratchDatabase, sentry_inbox: tuple[str, list[bytes]]
) -> None:
    dsn, received = sentry_inbox
    config = tuned(
        settings,
        db,
        monitoring={"sentry_dsn": SecretStr(dsn), "sentry_traces_sample_rate": 1.0},
    )
    with live_server(config, app_with_probe_routes(config)) as client:
        assert client.get("/api/v1/test/boom?lat=59.3293&lon=18.0686").status_code == 500
        sentry_sdk.flush(timeout=5)
    events = b"\n".join(received)
    assert b"RuntimeError" in events
    assert b"secret internal detail" in events  # the detail goes to Sentry, not to the client
    assert b'"transaction"' in events  # traces are sampled too
    assert b"59.3293" not in events  # query strings (locations) are not sent


def test_metrics_carry_build_process_and_backlog_facts(
    settings: Settings, db: ScratchDatabase
) -> None:
    from datetime import UTC, datetime, timedelta

    from config.version import __version__
    from tests.support.report_support import insert_report

    with live_server(tuned(settings, db)) as client:
        before = scrape(client.get("/metrics").text)
        with psycopg.connect(db.owner_url) as conn:
            conn.execute(
                "INSERT INTO raw.incidents (source_id, external_id, event_type, category,"
                " severity, occurred_at, first_seen_at, location_support, point_geom, h3_cell,"
                " raw_payload) SELECT 1, 'metrics-1', 'test', 'robbery', 0.5,"
                " now() - interval '3 hours', now(), 'point', g, h3_lat_lng_to_cell(g, 10), '{}'"
                " FROM (SELECT ST_SetSRID(ST_Point(18.07, 59.33), 4326) AS g) p"
            )
            now = datetime.now(UTC)
            for status in ("pending", "pending", "approved"):
                insert_report(conn, 18.07, 59.33, now - timedelta(hours=1), status=status)
        after = scrape(client.get("/metrics").text)
    builds = [labels for name, labels in after if name == "halo_build_info"]
    assert len(builds) == 1 and ("version", __version__) in builds[0]
    assert (value(after, "process_resident_memory_bytes") or 0) > 0
    assert any(name == "python_info" for name, _ in after)
    assert value(before, "halo_newest_incident_age_seconds") == float("inf")
    assert value(before, "halo_pending_moderation_reports") == 0
    age = value(after, "halo_newest_incident_age_seconds")
    assert age is not None and 10_700 < age < 11_000
    assert value(after, "halo_pending_moderation_reports") == 2
    assert value(after, "halo_push_outbox_backlog") == 0
    assert value(after, "halo_push_outbox_oldest_due_age_seconds") == 0
