"""Risk at a point answered before FastAPI (api/routes/risk_fastpath.py), over real HTTP on a
refreshed synthetic city: the same answers as the full path, the rate limit kept, a point
outside the city handed to the route and counted once."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from config.settings import Settings
from tests.support.dbtools import settings_for
from tests.support.live_server import live_server
from tests.support.map_support import MapCity, map_api, tile_of

# With rate limits off no key is looked up, so an X-API-Key header only sends the request
# down the full path (FastAPI's routing, dependencies and middleware).
FULL_PATH = {"X-API-Key": "full-path"}
OUTSIDE = {"lat": 57.7, "lon": 11.97}


@pytest.fixture(scope="module")
def client(settings: Settings, city: MapCity) -> Iterator[httpx.Client]:
    with map_api(settings, city) as http:
        yield http


def comparable(answer: httpx.Response, request_id: str) -> tuple[int, bytes, dict[str, str]]:
    """Status, body and headers, without what differs per request (date, the id given)."""
    headers = {k: v for k, v in answer.headers.items() if k != "date"}
    assert headers.pop("x-request-id") == request_id
    return answer.status_code, answer.content, headers


AT = "2025-06-30T10:00:00+02:00"


def access_logged(caplog: pytest.LogCaptureFixture, request_id: str) -> bool:
    """Whether the full path's access log has a line of this request (the fast path writes
    none: that is how a test tells the two apart)."""
    return any(
        r.name == "halo.api.access" and getattr(r, "request_id", None) == request_id
        for r in caplog.records
    )


@pytest.mark.parametrize(
    ("params", "fast_path"),
    [
        ({"at": AT}, True),
        ({"at": "2025-06-30T08:00:00Z"}, True),
        ({"at": AT, "zoom": "12"}, True),  # an unknown parameter is ignored on both paths
        ({"at": AT, "lat": ["59.0", "HOT"]}, False),  # repeated: the full path judges it
    ],
)
def test_risk_fast_path_answers_exactly_like_the_full_path(
    client: httpx.Client,
    city: MapCity,
    caplog: pytest.LogCaptureFixture,
    params: dict[str, Any],
    fast_path: bool,
) -> None:
    lon, lat = city.hotspot
    query: dict[str, Any] = {"lat": lat, "lon": lon, **params}
    if query["lat"] == ["59.0", "HOT"]:
        query["lat"] = ["59.0", str(lat)]
    caplog.set_level(logging.INFO, logger="halo.api.access")
    fast_id, full_id = secrets.token_hex(8), secrets.token_hex(8)
    fast = client.get("/api/v1/risk", params=query, headers={"X-Request-ID": fast_id})
    full = client.get("/api/v1/risk", params=query, headers={"X-Request-ID": full_id, **FULL_PATH})
    assert fast.status_code == 200
    assert fast.json()["district"]["name"] == "Västra"
    assert comparable(fast, fast_id) == comparable(full, full_id)
    assert fast.headers["x-request-id"] == fast_id
    assert access_logged(caplog, fast_id) is not fast_path
    assert access_logged(caplog, full_id)


def test_risk_without_a_time_is_now_on_both_paths(client: httpx.Client, city: MapCity) -> None:
    lon, lat = city.hotspot
    fast = client.get("/api/v1/risk", params={"lat": lat, "lon": lon}).json()
    full = client.get("/api/v1/risk", params={"lat": lat, "lon": lon}, headers=FULL_PATH).json()
    assert fast["at"]["time"].endswith("Z") and full["at"]["time"].endswith("Z")
    assert {k: v for k, v in fast.items() if k != "at"} == {
        k: v for k, v in full.items() if k != "at"
    }


@pytest.mark.parametrize(
    "params",
    [OUTSIDE, {"lat": "91", "lon": "18"}, {"lat": "59.3"}, {"lat": "59.3", "lon": "18", "at": "x"}],
)
def test_refusals_are_the_full_paths_problem_documents(
    client: httpx.Client, params: dict[str, Any]
) -> None:
    fast = client.get("/api/v1/risk", params=params)
    full = client.get("/api/v1/risk", params=params, headers=FULL_PATH)
    assert fast.status_code in (404, 422)
    assert fast.headers["content-type"] == "application/problem+json"
    headers = ("content-type", "content-security-policy", "x-content-type-options")
    assert (fast.status_code, fast.content) == (full.status_code, full.content)
    assert [fast.headers[h] for h in headers] == [full.headers[h] for h in headers]


def test_fast_path_keeps_the_reads_limit_and_counts_a_handed_over_404_once(
    settings: Settings, city: MapCity
) -> None:
    limits = settings.rate_limits.model_copy(
        update={"enabled": True, "reads_requests": 6, "reads_lease": 2, "reads_window_s": 600}
    )
    config = settings_for(settings, city.db)
    # A salt of its own: this test's client is a subject no other test has counted.
    security = config.security.model_copy(
        update={"client_hash_salt": SecretStr(secrets.token_hex(16))}
    )
    config = config.model_copy(update={"rate_limits": limits, "security": security})
    lon, lat = city.hotspot
    hotspot = {"lat": lat, "lon": lon}
    with live_server(config) as http:
        answers = [http.get("/api/v1/risk", params=p) for p in [hotspot, OUTSIDE] * 4]
    # Leases of 2: every other request is served from this worker's lease on the fast path,
    # the 404s among them handed to the route without being counted a second time.
    assert [a.status_code for a in answers] == [200, 404] * 3 + [429, 429]
    assert all(int(a.headers["retry-after"]) > 0 for a in answers[6:])
    assert answers[1].headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"X-Padding": "x" * 17_000}, 431),
        ([("Idempotency-Key", "a-key-of-one"), ("Idempotency-Key", "a-key-of-two")], 400),
        (None, 413),  # a body over the limit, even on a GET
    ],
)
def test_header_and_body_limits_hold_on_both_fast_paths(
    client: httpx.Client, city: MapCity, headers: Any, status: int
) -> None:
    lon, lat = city.hotspot
    tile = "/tiles/risk/{}/{}/{}.mvt".format(*tile_of(lon, lat, 14))
    client.get(tile).raise_for_status()  # held in memory from here on: the fast path's case
    cases: list[tuple[str, dict[str, Any]]] = [
        (tile, {}),
        ("/api/v1/risk", {"lat": lat, "lon": lon, "at": AT}),
    ]
    for path, params in cases:
        if headers is None:
            body = b"x" * (2**20 + 1)
            answer = client.request("GET", path, params=params, content=body)
        else:
            answer = client.get(path, params=params, headers=headers)
        assert answer.status_code == status, path
        assert answer.headers["content-type"] == "application/problem+json"
