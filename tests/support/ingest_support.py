"""Shared pieces of the ingestion tests: reference data loading, event builders, a tiny server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg

from pipeline.ingest.boundaries import DISTRICTS_FILE, MUNICIPALITIES_FILE, load_boundaries
from pipeline.ingest.cities import CitySpec, View, add_city
from pipeline.ingest.gazetteer import load_curated_gazetteer
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
from tests.support.live_server import serving

ARCHIVE = "polisen/stockholm_county_events_2022_2025.json"
ARCHIVE_PAGES = "polisen/stockholm_county_events_2022_2025_pages.json"
SNAPSHOTS = ("polisen/api_events_2023-06-15.json", "polisen/api_events_2025-06-15.json")


def stockholm_city(data_dir: Path) -> CitySpec:
    """Stockholm as `make run` adds it: the districts' union is the boundary."""
    return CitySpec(
        name="Stockholm",
        time_zone="Europe/Stockholm",
        boundary=data_dir / DISTRICTS_FILE,
        districts=data_dir / DISTRICTS_FILE,
        municipalities=("0180",),
        view=View(59.3293, 18.0686, 11),
        sources=("polisen",),
        emergency_number="112",
        police_number="114 14",
    )


def stockholm_city_command(data_dir: Path) -> list[str]:
    """The `halo` arguments that add `stockholm_city` (as the Makefile's demo-data does)."""
    spec = stockholm_city(data_dir)
    assert spec.view is not None
    view = f"{spec.view.lat},{spec.view.lon},{spec.view.zoom}"
    return [
        "city", "add", spec.name, "--tz", spec.time_zone,
        "--boundary", str(spec.boundary), "--districts", str(spec.districts),
        *[arg for code in spec.municipalities for arg in ("--municipality", code)],
        "--view", view,
        *[arg for source in spec.sources for arg in ("--source", source)],
        "--emergency", str(spec.emergency_number), "--police", str(spec.police_number),
    ]  # fmt: skip


def load_reference(url: str, data_dir: Path) -> None:
    """Boundaries, Stockholm and the curated gazetteer, as `make run` loads them
    (`halo load boundaries`, `halo city add Stockholm ...`, `halo load gazetteer`)."""
    load_boundaries(url, data_dir / DISTRICTS_FILE, data_dir / MUNICIPALITIES_FILE)
    add_city(url, stockholm_city(data_dir))
    load_curated_gazetteer(url)


def reference_database(
    db_factory: DatabaseFactory, template: ScratchDatabase, data_dir: Path
) -> ScratchDatabase:
    """A clone of the migrated template with the reference data loaded (a template itself)."""
    db = db_factory.create(template=template.name)
    load_reference(db.owner_url, data_dir)
    return db


def polisen_event(
    event_id: int = 900001,
    published: str = "2024-05-14 9:05:00 +02:00",
    title: str = "14 maj 08.30, Misshandel, Stockholm",
    summary: str = "En man misshandlades på Medborgarplatsen.",
    event_type: str = "Misshandel",
    location: str = "Stockholm",
    **extra: Any,
) -> dict[str, Any]:
    """An event in the API's exact shape (hand-written edge cases start from this)."""
    return {
        "id": event_id,
        "datetime": published,
        "name": title,
        "summary": summary,
        "url": f"/aktuellt/handelser/test/{event_id}/",
        "type": event_type,
        "location": {"name": location, "gps": "59.329324,18.068581"},
        **extra,
    }


def scalar(url: str, query: str, params: tuple[Any, ...] = ()) -> Any:
    """The single value of a query."""
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def rows(url: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """All rows of a query."""
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


Responder = Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]


@contextmanager
def http_server(respond: Responder) -> Iterator[str]:
    """A local HTTP server answering GETs with `respond(handler)`; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = respond(self)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as origin:
        yield origin
