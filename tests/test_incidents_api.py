"""GET /api/v1/incidents, /api/v1/incidents/{id}, /api/v1/freshness over real HTTP: honest
location support, filters, keyset pages, ETag/304, bad input, and readiness freshness."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from config.ingest import IngestSettings
from config.settings import Settings
from pipeline.ingest.polisen_ingest import ingest_batch, open_ingester
from tests.support.dbtools import DatabaseFactory, ScratchDatabase, settings_for
from tests.support.ingest_support import polisen_event, reference_database, rows
from tests.support.live_server import live_server

SUMMARIES = [
    ("Misshandel", "En man misshandlades i Rinkeby.", "Stockholm"),
    ("Rån", "Ett rån på Medborgarplatsen.", "Stockholm"),
    ("Stöld", "En cykel stals.", "Solna"),
    ("Brand", "En bil brann.", "Stockholms län"),
    ("Drönarlarm", "En drönare sågs.", "Stockholm"),
]
MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti"]


def events(count: int) -> list[dict[str, Any]]:
    """`count` events, one every three hours back from 2025-08-01, cycling the shapes above."""
    made = []
    start = datetime(2025, 8, 1, 12, 0)  # noqa: DTZ001 - local wall-clock, as polisen writes it
    for n in range(count):
        at = start - timedelta(hours=3 * n)
        event_type, summary, place = SUMMARIES[n % len(SUMMARIES)]
        made.append(
            polisen_event(
                event_id=800000 + n,
                published=f"{at:%Y-%m-%d} {at.hour}:{at:%M}:00 +02:00",
                title=f"{at.day:02d} {MONTHS[at.month - 1]} {at:%H.%M}, {event_type}, {place}",
                summary=summary,
                event_type=event_type,
                location=place,
            )
        )
    return made


@pytest.fixture(scope="module")
def incidents_db(
    db_factory: DatabaseFactory, template_db: ScratchDatabase, settings: Settings
) -> Iterator[ScratchDatabase]:
    db = reference_database(db_factory, template_db, settings.data_dir)
    with psycopg.connect(db.owner_url, autocommit=True) as conn:
        ingest_batch(conn, open_ingester(conn, IngestSettings()), events(60), {}, "test")
    yield db
    db_factory.drop(db.name)


@pytest.fixture(scope="module")
def client(settings: Settings, incidents_db: ScratchDatabase) -> Iterator[httpx.Client]:
    with live_server(settings_for(settings, incidents_db)) as http:
        yield http


def supports(db: ScratchDatabase) -> dict[int, str]:
    return dict(rows(db.owner_url, "SELECT id, location_support FROM raw.incidents"))


def test_items_state_their_location_support_honestly(
    client: httpx.Client, incidents_db: ScratchDatabase
) -> None:
    body = client.get("/api/v1/incidents", params={"limit": 100}).json()
    by_support: dict[str, list[dict[str, Any]]] = {}
    for item in body["items"]:
        by_support.setdefault(item["location"]["support"], []).append(item)
    assert {"district", "place", "municipality", "county"} <= set(by_support)
    assert all(
        i["location"]["geometry"] is None
        for s in ("district", "municipality", "county")
        for i in by_support[s]
    )
    assert all(i["location"]["district_id"] for i in by_support["district"])
    assert by_support["district"][0]["location"]["name"] == "Rinkeby"
    assert by_support["county"][0]["location"]["name"] == "Stockholms län"
    assert by_support["municipality"][0]["location"]["name"] == "Solna"
    place = by_support["place"][0]["location"]
    assert place["name"] == "Medborgarplatsen" and place["geometry"]["type"] == "Point"
    assert place["radius_m"] > 0
    for support in ("district", "municipality", "county"):
        one = client.get(f"/api/v1/incidents/{by_support[support][0]['id']}").json()
        assert one["location"]["geometry"]["type"] in ("Polygon", "MultiPolygon"), support
    first = body["items"][0]
    assert first["url"].startswith("https://polisen.se/aktuellt/handelser/")
    assert first["occurred_at"].endswith("Z") and first["published_at"].endswith("Z")
    assert first["category_label"].keys() == {"sv", "en"}
    unmapped = [i for i in body["items"] if i["type"] == "Drönarlarm"]
    assert unmapped and all(i["category"] == "unmapped" for i in unmapped)
    assert unmapped[0]["category_label"] == {
        "sv": "Ej kategoriserad typ",
        "en": "Unmapped source type",
    }
    assert body["as_of"] == "2025-08-01T10:00:00Z"
    assert len(body["items"]) == 60 == len(supports(incidents_db))


def test_cursor_pages_cover_everything_once_newest_first(client: httpx.Client) -> None:
    seen: list[tuple[str, int]] = []
    cursor = None
    for _ in range(20):
        params: dict[str, Any] = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/incidents", params=params).json()
        seen += [(i["occurred_at"], i["id"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 60 == len(set(seen))
    assert seen == sorted(seen, reverse=True)


def test_filters_select_by_category_time_district_and_area(client: httpx.Client) -> None:
    robbery = client.get("/api/v1/incidents", params={"category": "robbery"}).json()["items"]
    assert robbery and all(i["category"] == "robbery" for i in robbery)
    window = {"since": "2025-07-31T00:00:00Z", "until": "2025-08-01T00:00:00Z"}
    day = client.get("/api/v1/incidents", params=window).json()["items"]
    assert len(day) == 8 and all(i["occurred_at"].startswith("2025-07-31") for i in day)
    district_id = next(
        i["location"]["district_id"]
        for i in client.get("/api/v1/incidents", params={"limit": 10}).json()["items"]
        if i["location"]["support"] == "district"
    )
    in_district = client.get("/api/v1/incidents", params={"district": district_id}).json()
    assert in_district["items"] and all(
        i["location"]["district_id"] == district_id for i in in_district["items"]
    )
    # Around Medborgarplatsen: the place matches; Rinkeby (10 km away) and areas never do.
    near = client.get(
        "/api/v1/incidents", params={"lat": 59.3144, "lon": 18.0736, "radius_m": 500}
    ).json()["items"]
    assert near and {i["location"]["name"] for i in near} == {"Medborgarplatsen"}
    box = client.get("/api/v1/incidents", params={"bbox": "17.90,59.37,17.96,59.41"}).json()
    assert box["items"] and {i["location"]["support"] for i in box["items"]} == {"district"}


def test_etag_answers_304_and_changes_with_the_page(client: httpx.Client) -> None:
    first = client.get("/api/v1/incidents", params={"limit": 5})
    etag = first.headers["etag"]
    again = client.get("/api/v1/incidents", params={"limit": 5}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/api/v1/incidents", params={"limit": 6})
    assert other.headers["etag"] != etag
    one_id = first.json()["items"][0]["id"]
    detail = client.get(f"/api/v1/incidents/{one_id}")
    cached = client.get(
        f"/api/v1/incidents/{one_id}", headers={"If-None-Match": detail.headers["etag"]}
    )
    assert cached.status_code == 304


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"bbox": "18,59,17,60"}, "bbox"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "nan,59,18,60"}, "finite"),
        ({"bbox": "10,50,20,60"}, "larger than"),
        ({"lat": 59.3, "lon": 18.0}, "go together"),
        ({"lat": 59.3, "lon": 18.0, "radius_m": 20001}, "radius_m"),
        ({"lat": 99, "lon": 18.0, "radius_m": 10}, "lat"),
        ({"bbox": "17,59,18,60", "lat": 59.3, "lon": 18, "radius_m": 10}, "not both"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"category": "nope"}, "unknown category"),
        ({"category": "DROP TABLE"}, "category"),
        ({"since": "2025-08-01T00:00:00Z", "until": "2025-07-01T00:00:00Z"}, "earlier"),
        ({"since": "1200-01-01T00:00:00Z"}, "between"),
        ({"since": "yesterday"}, "since"),
        ({"cursor": "garbage"}, "malformed"),
        ({"district": -3}, "district"),
    ],
)
def test_absurd_parameters_get_one_clear_422(
    client: httpx.Client, params: dict[str, Any], says: str
) -> None:
    response = client.get("/api/v1/incidents", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert says in response.text


def test_a_tampered_or_foreign_cursor_is_refused(client: httpx.Client) -> None:
    cursor = client.get("/api/v1/incidents", params={"limit": 3}).json()["next_cursor"]
    payload, signature = cursor.split(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    refused = client.get("/api/v1/incidents", params={"limit": 3, "cursor": forged})
    assert refused.status_code == 422 and "altered" in refused.json()["detail"]
    other_query = client.get(
        "/api/v1/incidents", params={"limit": 3, "cursor": cursor, "category": "fire"}
    )
    assert other_query.status_code == 422 and "other filters" in other_query.json()["detail"]


def test_unknown_incident_is_404_and_bad_id_422(client: httpx.Client) -> None:
    assert client.get("/api/v1/incidents/999999999").status_code == 404
    assert client.get("/api/v1/incidents/0").status_code == 422
    assert client.get("/api/v1/incidents/abc").status_code == 422


def test_openapi_documents_the_incident_routes(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    listed = paths["/api/v1/incidents"]["get"]
    assert {p["name"] for p in listed["parameters"]} >= {
        "bbox",
        "lat",
        "lon",
        "radius_m",
        "district",
        "category",
        "since",
        "until",
        "limit",
        "cursor",
    }
    assert "/api/v1/incidents/{incident_id}" in paths and "/api/v1/freshness" in paths


def test_freshness_and_readiness_say_the_data_is_stale(
    settings: Settings, incidents_db: ScratchDatabase
) -> None:
    live = settings_for(settings, incidents_db)
    on = live.model_copy(update={"feed": live.feed.model_copy(update={"enabled": True})})
    with live_server(on) as http:
        fresh = http.get("/api/v1/freshness").json()
        ready = http.get("/health/ready").json()
    assert fresh == {
        "newest_event_at": "2025-08-01T10:00:00Z",
        "last_poll_ok_at": None,
        "feed": "stale",
        "stale": True,
    }
    assert ready["status"] == "degraded"
    problems = " ".join(ready["checks"]["freshness"]["problems"])
    assert "HALO_FEED_STALE_AFTER_HOURS" in problems
    assert "HALO_FEED_POLL_STALE_AFTER_MINUTES" in problems
    with psycopg.connect(incidents_db.owner_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO ops.feed_state (source_id, last_poll_at, last_error, last_error_at)"
            " SELECT id, now(), 'network error: timed out', now() FROM ref.data_sources"
            " WHERE code = 'polisen' ON CONFLICT (source_id) DO UPDATE"
            " SET last_error = EXCLUDED.last_error, last_error_at = EXCLUDED.last_error_at"
        )
    with live_server(on) as http:
        assert http.get("/api/v1/freshness").json()["feed"] == "unreachable"
        check = http.get("/health/ready").json()["checks"]["freshness"]
    assert "timed out" in " ".join(check["problems"])
    with live_server(live) as http:  # the feed off: freshness informs, never degrades
        off = http.get("/health/ready").json()["checks"]["freshness"]
    assert off["ok"] is True and off["feed"] == "off" and off["stale"] is True
    assert datetime.now(UTC).year >= 2026
