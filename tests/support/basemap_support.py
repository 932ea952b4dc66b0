"""The real Stockholm for the base-map and web-map tests: boundaries, gazetteer, the OSM
streets and water, the polisen.se archive, refreshed; glyphs built once per test run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from cli.ingest import ARCHIVE_FILE
from config.settings import Settings
from pipeline.glyphs.build import build_glyphs
from pipeline.ingest.basemap import STREETS_FILE, WATER_FILE, load_basemap
from pipeline.ingest.boundaries import DISTRICTS_FILE, MUNICIPALITIES_FILE, load_boundaries
from pipeline.ingest.cities import add_city
from pipeline.ingest.gazetteer import CURATED_PLACES_FILE, load_curated_gazetteer
from pipeline.ingest.polisen_ingest import ingest_files
from pipeline.nightly import run_nightly
from tests.support.dbtools import DatabaseFactory, ScratchDatabase, settings_for
from tests.support.ingest_support import stockholm_city
from tests.support.live_server import live_server

T_CENTRALEN = (18.0590, 59.3313)  # lon, lat


@contextmanager
def stockholm(
    settings: Settings, factory: DatabaseFactory, template: ScratchDatabase, *, events: bool = True
) -> Iterator[ScratchDatabase]:
    """A clone of the migrated template with the real data loaded (and refreshed with events)."""
    db = factory.create(template=template.name)
    data = settings.data_dir
    try:
        load_boundaries(db.owner_url, data / DISTRICTS_FILE, data / MUNICIPALITIES_FILE)
        add_city(db.owner_url, stockholm_city(data))
        load_curated_gazetteer(db.owner_url, CURATED_PLACES_FILE)
        load_basemap(db.owner_url, data / STREETS_FILE, data / WATER_FILE)
        if events:
            ingest_files(db.owner_url, [data / ARCHIVE_FILE])
            run_nightly(db.owner_url, backtest_origins=0)
        yield db
    finally:
        factory.drop(db.name)


def built_glyphs(folder: Path) -> Path:
    """Glyphs built into `folder` (about 10 s)."""
    build_glyphs(folder)
    return folder


@contextmanager
def stockholm_api(
    settings: Settings, db: ScratchDatabase, glyphs: Path, **map_fields: object
) -> Iterator[httpx.Client]:
    """A live API on the database, serving the glyphs in `glyphs`; no rate limits."""
    base = settings_for(settings, db)
    fields = {"generation_check_s": 0.0, "glyphs_dir": glyphs, **map_fields}
    config = base.model_copy(
        update={
            "map": base.map.model_copy(update=fields),
            "rate_limits": base.rate_limits.model_copy(update={"enabled": False}),
        }
    )
    with live_server(config) as client:
        yield client
