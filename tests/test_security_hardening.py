"""Hardening over real HTTP: security headers, HTTPS-only behind trusted proxies, CORS, body
limits, no stack traces, request ids in JSON logs, and settings that refuse unsafe values."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import ValidationError

from config.logging import JsonFormatter
from config.settings import Settings
from tests.support.dbtools import ScratchDatabase
from tests.support.live_server import live_server
from tests.support.opstools import app_with_probe_routes, tuned

PING = "/api/v1/test/ping"
ECHO = "/api/v1/test/echo"


def test_api_answers_carry_security_headers(settings: Settings, db: ScratchDatabase) -> None:
    with live_server(tuned(settings, db)) as client:
        headers = client.get("/health").headers
        docs = client.get("/docs").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "Strict-Transport-Security" not in headers
    assert "frame-ancestors 'none'" in docs["Content-Security-Policy"]
    assert "script-src" in docs["Content-Security-Policy"]


def test_https_only_redirects_plain_http_with_308(settings: Settings, db: ScratchDatabase) -> None:
    config = tuned(settings, db, security={"https_only": True})
    with live_server(config, app_with_probe_routes(config)) as client:
        response = client.get(PING + "?a=1", follow_redirects=False)
        health = client.get("/health")
    assert response.status_code == 308
    assert response.headers["Location"].startswith("https://127.0.0.1")
    assert response.headers["Location"].endswith(PING + "?a=1")
    assert health.status_code == 200  # probes from inside the network stay on plain HTTP


def test_https_behind_a_trusted_proxy_is_served_with_hsts(
    settings: Settings, db: ScratchDatabase
) -> None:
    config = tuned(settings, db, security={"https_only": True, "trusted_proxies": ["127.0.0.0/8"]})
    with live_server(config, app_with_probe_routes(config)) as client:
        response = client.get(PING, headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_forwarded_headers_from_untrusted_addresses_are_ignored(
    settings: Settings, db: ScratchDatabase
) -> None:
    config = tuned(settings, db, security={"https_only": True, "trusted_proxies": ["10.0.0.0/8"]})
    with live_server(config, app_with_probe_routes(config)) as client:
        response = client.get(PING, headers={"X-Forwarded-Proto": "https"}, follow_redirects=False)
    assert response.status_code == 308
    assert "Strict-Transport-Security" not in response.headers


def test_cors_answers_only_listed_origins(settings: Settings, db: ScratchDatabase) -> None:
    config = tuned(settings, db, security={"cors_origins": ["https://map.example.org"]})
    preflight = {"Access-Control-Request-Method": "GET"}
    with live_server(config, app_with_probe_routes(config)) as client:
        allowed = client.options(PING, headers={**preflight, "Origin": "https://map.example.org"})
        denied = client.options(PING, headers={**preflight, "Origin": "https://evil.example"})
        simple = client.get(PING, headers={"Origin": "https://evil.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://map.example.org"
    assert "Access-Control-Allow-Origin" not in denied.headers
    assert "Access-Control-Allow-Origin" not in simple.headers


def test_a_listed_origin_may_update_and_delete_its_push_device_with_its_secret(
    settings: Settings, db: ScratchDatabase
) -> None:
    """The app's web build calls PUT/DELETE /api/v1/devices/{id} with `Authorization`."""
    config = tuned(settings, db, security={"cors_origins": ["https://app.example.org"]})
    path = "/api/v1/devices/3f2c8a0e-6d7b-4c55-9a1e-0b6a4f3e2d11"
    with live_server(config) as client:
        for method in ("PUT", "DELETE"):
            answer = client.options(
                path,
                headers={
                    "Origin": "https://app.example.org",
                    "Access-Control-Request-Method": method,
                    "Access-Control-Request-Headers": "authorization,content-type",
                },
            )
            assert answer.status_code == 200, answer.text
            assert method in answer.headers["Access-Control-Allow-Methods"]
            assert "authorization" in answer.headers["Access-Control-Allow-Headers"].lower()


def test_unknown_host_names_are_refused_when_hosts_are_listed(
    settings: Settings, db: ScratchDatabase
) -> None:
    config = tuned(settings, db, security={"allowed_hosts": ["halo.example.org"]})
    with live_server(config) as client:
        assert client.get("/health").status_code == 400
        assert client.get("/health", headers={"Host": "halo.example.org"}).status_code == 200


def test_a_body_over_the_limit_is_413_before_it_is_read(
    settings: Settings, db: ScratchDatabase
) -> None:
    config = tuned(settings, db, security={"max_body_bytes": 2048})
    with live_server(config, app_with_probe_routes(config)) as client:
        small = client.post(ECHO, content=b"x" * 2048)
        declared = client.post(ECHO, content=b"x" * 4096)
        streamed = client.post(ECHO, content=iter([b"x" * 1500, b"x" * 1500]))
    assert small.status_code == 200 and small.json() == {"bytes": 2048}
    assert declared.status_code == 413
    assert declared.headers["content-type"].startswith("application/problem+json")
    assert streamed.status_code == 413  # chunked: no Content-Length to check up front


def test_multipart_uploads_have_their_own_larger_limit(
    settings: Settings, db: ScratchDatabase
) -> None:
    config = tuned(settings, db, security={"max_body_bytes": 2048, "max_upload_bytes": 8192})
    with live_server(config, app_with_probe_routes(config)) as client:
        photo = client.post(ECHO, files={"photo": ("a.jpg", b"x" * 4000, "image/jpeg")})
        huge = client.post(ECHO, files={"photo": ("a.jpg", b"x" * 9000, "image/jpeg")})
    assert photo.status_code == 200
    assert huge.status_code == 413


def test_an_unhandled_error_is_a_bare_500_problem(
    settings: Settings, db: ScratchDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    config = tuned(settings, db)
    with live_server(config, app_with_probe_routes(config)) as client:
        response = client.get("/api/v1/test/boom")
    assert response.status_code == 500
    assert response.json() == {"type": "about:blank", "title": "Internal error", "status": 500}
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    request_id = response.headers["X-Request-ID"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
    assert errors and getattr(errors[-1], "request_id", None) == request_id


def test_access_log_lines_are_json_with_request_id_and_route_template(
    settings: Settings, db: ScratchDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="halo.api.access")
    config = tuned(settings, db)
    with live_server(config, app_with_probe_routes(config)) as client:
        client.get("/tiles/test/7.mvt?lat=59.33&lon=18.06", headers={"X-Request-ID": "abc12345-x"})
        replaced = client.get(PING, headers={"X-Request-ID": 'bad id {"json": 1}'})
    records = [r for r in caplog.records if r.name == "halo.api.access"]
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["request_id"] == "abc12345-x"
    assert line["route"] == "/tiles/test/{z}.mvt" and line["status"] == 200
    assert "59.33" not in json.dumps(line)  # no query strings (locations) in logs
    assert "json" not in replaced.headers["X-Request-ID"]
    assert len(replaced.headers["X-Request-ID"]) == 32


def _production(**env: str) -> Settings:
    strong = "postgresql://u:Str0ng-Passw0rd-123@db/halo"
    fields = {"env": "production", "database_url": strong, "api_database_url": strong}
    return Settings(**fields, **env)  # type: ignore[arg-type]


def test_production_refuses_the_default_client_hash_salt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HALO_CLIENT_HASH_SALT", raising=False)
    with pytest.raises(ValidationError, match="HALO_CLIENT_HASH_SALT"):
        _production()
    monkeypatch.setenv("HALO_CLIENT_HASH_SALT", "k3Jx9-random-enough-salt")
    monkeypatch.setenv(
        "HALO_PUSH_TOKEN_KEY", "3q2-7wVfN8lJ0xYt5bRkHc1mZp4sW6uEa9dGiQoTnLU"
    )  # needed too (docs/push.md)
    assert _production().security.client_hash_salt.get_secret_value().startswith("k3Jx9")


def test_production_refuses_wildcard_cors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALO_CLIENT_HASH_SALT", "k3Jx9-random-enough-salt")
    monkeypatch.setenv("HALO_CORS_ORIGINS", "*")
    with pytest.raises(ValidationError, match="HALO_CORS_ORIGINS"):
        _production()


def test_trusted_proxies_must_be_addresses_or_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALO_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    from config.security import SecuritySettings

    assert SecuritySettings().trusted_proxies == ["10.0.0.0/8", "192.0.2.1/32"]
    monkeypatch.setenv("HALO_TRUSTED_PROXIES", "*")
    with pytest.raises(ValidationError):
        SecuritySettings()
