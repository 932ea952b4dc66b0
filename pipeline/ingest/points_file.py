"""Generic incident point files (CSV or GeoJSON) of any city, bulk-loaded with COPY.

A column mapping names the file's columns: `time=Date,lat=Latitude,lon=Longitude,type=Crime,
id=Case Number` (also optional `title`, `summary`, `first_seen`). GeoJSON points give lat/lon
from their geometry unless mapped. The whole file is one transaction; bad rows are rejected
with their line (CSV) or feature number (GeoJSON) and reason, never silently dropped.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from pipeline.ingest.incident_store import StagedIncident, merge_incidents
from pipeline.ingest.point_rows import PointRow, PointRules, RowRejected, check_row
from pipeline.ingest.progress import progress
from pipeline.ingest.summary import IngestSummary
from pipeline.jobs import recorded_job

MAPPING_KEYS = ("id", "time", "lat", "lon", "type", "title", "summary", "first_seen")
REQUIRED_KEYS = ("id", "time", "type")
POINTS_SOURCE_KIND = "points_file"


class PointsFileError(ValueError):
    """A points file or mapping that cannot be used at all (nothing is written)."""


@dataclass(frozen=True)
class ColumnMapping:
    """Which file column holds each of Halo's fields."""

    columns: dict[str, str]

    def column(self, key: str) -> str | None:
        """The file column mapped to a field, if any."""
        return self.columns.get(key)


def parse_mapping(spec: str) -> ColumnMapping:
    """A mapping from `key=column,key=column`; keys from MAPPING_KEYS, id/time/type required."""
    columns: dict[str, str] = {}
    for part in (p for p in spec.split(",") if p.strip()):
        key, sep, column = part.partition("=")
        key, column = key.strip().lower(), column.strip()
        if not sep or not column:
            raise PointsFileError(f"mapping part {part!r} is not key=column")
        if key not in MAPPING_KEYS:
            raise PointsFileError(f"mapping key {key!r} is not one of {', '.join(MAPPING_KEYS)}")
        if key in columns:
            raise PointsFileError(f"mapping key {key!r} is given twice")
        columns[key] = column
    missing = [k for k in REQUIRED_KEYS if k not in columns]
    if missing:
        raise PointsFileError(f"mapping lacks {', '.join(missing)}")
    if ("lat" in columns) != ("lon" in columns):
        raise PointsFileError("map both lat and lon, or neither (GeoJSON geometry)")
    return ColumnMapping(columns)


def read_rows(path: Path, mapping: ColumnMapping) -> Iterator[PointRow]:
    """The file's rows, CSV or GeoJSON by extension."""
    if path.suffix.lower() in (".geojson", ".json"):
        return _geojson_rows(path, mapping)
    if "lat" not in mapping.columns:
        raise PointsFileError("a CSV file needs lat= and lon= in the mapping")
    return _csv_rows(path, mapping)


def _csv_rows(path: Path, mapping: ColumnMapping) -> Iterator[PointRow]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise PointsFileError(f"{path}: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        absent = [c for c in mapping.columns.values() if c not in header]
        if absent:
            raise PointsFileError(f"{path}: no column {', '.join(map(repr, absent))} in the header")
        line = reader.line_num
        for record in reader:
            # A quoted field may span lines: the row starts after the previous one ended.
            start, line = line + 1, reader.line_num
            yield _row(
                f"line {start}",
                record,
                mapping,
                record.get(mapping.columns.get("lon", "")),
                record.get(mapping.columns.get("lat", "")),
            )


def _geojson_rows(path: Path, mapping: ColumnMapping) -> Iterator[PointRow]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PointsFileError(f"{path}: not readable GeoJSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise PointsFileError(f"{path}: not a GeoJSON FeatureCollection")
    for number, feature in enumerate(document["features"], start=1):
        properties = (feature.get("properties") if isinstance(feature, dict) else None) or {}
        lon, lat = _feature_position(feature, properties, mapping)
        yield _row(f"feature {number}", properties, mapping, lon, lat)


def _feature_position(
    feature: Any, properties: dict[str, Any], mapping: ColumnMapping
) -> tuple[Any, Any]:
    if "lat" in mapping.columns:
        return properties.get(mapping.columns["lon"]), properties.get(mapping.columns["lat"])
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    if isinstance(geometry, dict) and geometry.get("type") == "Point":
        position = geometry.get("coordinates") or []
        if isinstance(position, list) and len(position) >= 2:
            return position[0], position[1]
    return None, None


def _row(
    where: str, record: dict[str, Any], mapping: ColumnMapping, lon: Any, lat: Any
) -> PointRow:
    values = {
        key: (None if record.get(column) is None else str(record.get(column)))
        for key, column in mapping.columns.items()
        if key not in ("lat", "lon")
    }
    return PointRow(where, values, lon, lat, record)


def ensure_points_source(conn: psycopg.Connection, code: str, name: str | None) -> int:
    """The id of a points-file data source, created on first use; other kinds are refused."""
    row = conn.execute("SELECT id, kind FROM ref.data_sources WHERE code = %s", (code,)).fetchone()
    if row is not None:
        if row[1] != POINTS_SOURCE_KIND:
            raise PointsFileError(f"source {code!r} is a {row[1]} source, not a points file")
        return int(row[0])
    created = conn.execute(
        "INSERT INTO ref.data_sources (code, name, kind) VALUES (%s, %s, %s) RETURNING id",
        (code, name or code, POINTS_SOURCE_KIND),
    ).fetchone()
    assert created is not None
    return int(created[0])


def checked_incidents(
    rows: Iterator[PointRow], rules: PointRules, summary: IngestSummary
) -> Iterator[StagedIncident]:
    """Valid rows as staged incidents; rejects and unknown types are counted in `summary`."""
    seen_ids: set[str] = set()
    for row in rows:
        try:
            checked = check_row(row, rules)
        except RowRejected as rejected:
            summary.reject(row.where, rejected.reason, rejected.detail)
            continue
        if checked.incident.external_id in seen_ids:
            summary.reject(row.where, "duplicate_id", checked.incident.external_id)
            continue
        seen_ids.add(checked.incident.external_id)
        if checked.unknown_type:
            summary.warn("unknown_type")
        yield checked.incident


def ingest_points_file(
    database_url: str,
    path: Path,
    mapping: ColumnMapping,
    source_code: str,
    rules: PointRules,
    source_name: str | None = None,
) -> IngestSummary:
    """Load one points file in one transaction via COPY; the run's summary."""
    summary = IngestSummary()
    rows = read_rows(path, mapping)
    with (
        recorded_job(database_url, "ingest_points") as job,
        psycopg.connect(database_url, autocommit=True) as conn,
        conn.transaction(),
    ):
        source_id = ensure_points_source(conn, source_code, source_name)
        incidents = checked_incidents(progress(rows, None, path.name), rules, summary)
        counts = merge_incidents(conn, source_id, incidents)
        summary.inserted, summary.updated, summary.unchanged = (
            counts.inserted,
            counts.updated,
            counts.unchanged,
        )
        job.rows = counts.inserted + counts.updated
        job.details = {"file": str(path), "source": source_code, **summary.as_dict()}
    return summary


def default_rules(
    local_tz: str, time_format: str | None, region_bbox: tuple[float, float, float, float] | None
) -> PointRules:
    """Rules with the current time as the limit for future times."""
    return PointRules(ZoneInfo(local_tz), time_format, region_bbox, datetime.now(UTC))
