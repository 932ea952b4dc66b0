"""Generic incident point files (CSV or GeoJSON, optionally gzip) of any city, bulk-loaded
with COPY, as cities publish them.

A column mapping names the file's columns: `time=Date,lat=Latitude,lon=Longitude,type=Crime,
id=Case Number` (also optional `title`, `summary`, `first_seen`). The time may instead come
from a date column and an hour (and minute) column: `date=DATE,hour=HOUR,minute=MINUTE`.
Without an `id` column each row gets a stable id from its content (see `content_id`).
With `--crs EPSG:…` the lon/lat columns hold projected x/y (converted with pyproj).
CSV: any encoding Python knows (`--encoding latin-1`), `,`, `;` or tab separated (detected
from the header), decimal commas in `;`-separated files (Swedish Excel). GeoJSON points give
lat/lon from their geometry unless mapped. The whole file is one transaction; bad rows are
rejected with their line (CSV) or feature number (GeoJSON) and reason, never silently
dropped; more rejected rows than `max_rejects` roll everything back.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import psycopg

from pipeline.ingest.incident_store import StagedIncident, merge_incidents
from pipeline.ingest.point_rows import (
    PointRow,
    PointRules,
    RowRejected,
    TypeMapping,
    check_row,
    coordinate_transformer,
)
from pipeline.ingest.progress import progress
from pipeline.ingest.summary import IngestSummary
from pipeline.jobs import recorded_job

MAPPING_KEYS = (
    "id", "time", "date", "hour", "minute", "lat", "lon", "type", "title", "summary", "first_seen"
)  # fmt: skip
POINTS_SOURCE_KIND = "points_file"
MERGE_BATCH = 20_000
DELIMITERS = ",;\t"


class PointsFileError(ValueError):
    """A points file or mapping that cannot be used at all (nothing is written)."""


class TooManyRejects(PointsFileError):
    """More rows were rejected than allowed: the transaction was rolled back."""

    def __init__(self, summary: IngestSummary, max_rejects: int) -> None:
        rejected = sum(summary.rejected.values())
        super().__init__(
            f"{rejected} rows rejected, more than --max-rejects {max_rejects}: nothing written"
        )
        self.summary = summary


@dataclass(frozen=True)
class ColumnMapping:
    """Which file column holds each of Halo's fields."""

    columns: dict[str, str]

    def column(self, key: str) -> str | None:
        """The file column mapped to a field, if any."""
        return self.columns.get(key)


def parse_mapping(spec: str) -> ColumnMapping:
    """A mapping from `key=column,key=column`; keys from MAPPING_KEYS; type and a time
    (time=, or date= with optional hour= and minute=) required."""
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
    if "type" not in columns:
        raise PointsFileError("mapping lacks type")
    if ("time" in columns) == ("date" in columns):
        raise PointsFileError("map the time with time=, or with date= (and hour=, minute=)")
    if ("hour" in columns or "minute" in columns) and "date" not in columns:
        raise PointsFileError("hour= and minute= need date=")
    if ("lat" in columns) != ("lon" in columns):
        raise PointsFileError("map both lat and lon, or neither (GeoJSON geometry)")
    return ColumnMapping(columns)


@dataclass(frozen=True)
class FileFormat:
    """How the file's text is read: encoding and (CSV) separator (None: detected)."""

    encoding: str = "utf-8-sig"
    delimiter: str | None = None


def _is_geojson(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith((".geojson", ".json"))


def open_text(path: Path, encoding: str) -> IO[str]:
    """The file as text, gunzipped when it ends in .gz."""
    try:
        if path.name.lower().endswith(".gz"):
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding=encoding, newline="")
        return path.open(encoding=encoding, newline="")
    except LookupError:
        raise PointsFileError(f"unknown encoding {encoding!r}") from None
    except OSError as exc:
        raise PointsFileError(f"{path}: {exc.strerror}") from None


def count_records(path: Path, file_format: FileFormat) -> int | None:
    """Records in the file for the progress total (CSV: lines after the header)."""
    if _is_geojson(path):
        return None
    try:
        with open_text(path, file_format.encoding) as handle:
            return max(sum(1 for _ in handle) - 1, 0)
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile):
        return None


def read_rows(
    path: Path, mapping: ColumnMapping, file_format: FileFormat | None = None
) -> Iterator[PointRow]:
    """The file's rows, CSV or GeoJSON by extension (before any .gz)."""
    file_format = file_format or FileFormat()
    if _is_geojson(path):
        return _geojson_rows(path, mapping, file_format)
    if "lat" not in mapping.columns:
        raise PointsFileError("a CSV file needs lat= and lon= in the mapping")
    return _csv_rows(path, mapping, file_format)


class ContentIds:
    """Stable ids for rows without an id column: `h:` + the first 20 hex digits of the
    SHA-256 of the row's fields (in file order, joined by U+001F) + `-n`, the row's
    occurrence among identical rows (two thefts on one block at the same minute are two
    incidents). Re-reading the same file, or a newer export with rows added anywhere, gives
    every unchanged row the same id, so re-ingestion is idempotent."""

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()

    def of(self, fields: list[str]) -> str:
        """The id of the next row with these fields."""
        digest = hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:20]
        self._seen[digest] += 1
        return f"h:{digest}-{self._seen[digest]}"


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _csv_rows(path: Path, mapping: ColumnMapping, file_format: FileFormat) -> Iterator[PointRow]:
    handle = open_text(path, file_format.encoding)
    with handle:
        try:
            first = handle.readline()
        except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, OSError) as exc:
            raise PointsFileError(f"{path}: cannot read: {exc}") from None
        delimiter = file_format.delimiter or _sniff_delimiter(first)
        header = next(csv.reader([first], delimiter=delimiter), [])
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        absent = [c for c in mapping.columns.values() if c not in header]
        if absent:
            raise PointsFileError(
                f"{path}: no column {', '.join(map(repr, absent))} in the header;"
                f" header seen ({delimiter!r}-separated): {', '.join(map(repr, header))}"
            )
        reader = csv.reader(handle, delimiter=delimiter)
        ids = None if "id" in mapping.columns else ContentIds()
        decimal_comma = delimiter == ";"
        line = 1  # the header
        try:
            for fields in reader:
                # A quoted field may span lines: the row starts after the previous one ended
                # (blank lines included: they end a "row" too, of no fields).
                start, line = line + 1, reader.line_num + 1
                if not fields:
                    continue
                problem = None
                if len(fields) > len(header):
                    problem = f"{len(fields)} fields, the header has {len(header)}"
                record = dict(zip(header, fields, strict=False))
                lon = record.get(mapping.columns["lon"])
                lat = record.get(mapping.columns["lat"])
                if decimal_comma:
                    lon = lon.replace(",", ".") if lon else lon
                    lat = lat.replace(",", ".") if lat else lat
                row = _row(f"line {start}", record, mapping, lon, lat, problem)
                if ids is not None:
                    row.values["id"] = ids.of(fields)
                yield row
        except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, csv.Error) as exc:
            raise PointsFileError(f"{path}: line {line + 1}: cannot read: {exc}") from None


def _geojson_rows(
    path: Path, mapping: ColumnMapping, file_format: FileFormat
) -> Iterator[PointRow]:
    try:
        with open_text(path, file_format.encoding) as handle:
            document = json.load(handle)
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile, json.JSONDecodeError) as exc:
        raise PointsFileError(f"{path}: not readable GeoJSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise PointsFileError(f"{path}: not a GeoJSON FeatureCollection")
    ids = None if "id" in mapping.columns else ContentIds()
    for number, feature in enumerate(document["features"], start=1):
        properties = (feature.get("properties") if isinstance(feature, dict) else None) or {}
        lon, lat = _feature_position(feature, properties, mapping)
        row = _row(f"feature {number}", properties, mapping, lon, lat)
        if ids is not None:
            row.values["id"] = ids.of([json.dumps(feature, sort_keys=True, default=str)])
        yield row


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
    where: str,
    record: dict[str, Any],
    mapping: ColumnMapping,
    lon: Any,
    lat: Any,
    problem: str | None = None,
) -> PointRow:
    values = {
        key: (None if record.get(column) is None else str(record.get(column)))
        for key, column in mapping.columns.items()
        if key not in ("lat", "lon")
    }
    return PointRow(where, values, lon, lat, record, problem)


MAX_ATTRIBUTION = 200  # characters: a credit line under the map, not a licence text


def ensure_points_source(
    conn: psycopg.Connection, code: str, name: str | None, attribution: str | None = None
) -> int:
    """The id of a points-file data source, created on first use (a given attribution, the
    credit the map shows for its data, replaces the stored one); other kinds are refused."""
    row = conn.execute("SELECT id, kind FROM ref.data_sources WHERE code = %s", (code,)).fetchone()
    if attribution is not None and not (
        0 < len(attribution) <= MAX_ATTRIBUTION and attribution.isprintable()
    ):
        raise PointsFileError(
            f"--attribution: expected 1-{MAX_ATTRIBUTION} printable characters on one line"
        )
    if row is not None:
        if row[1] != POINTS_SOURCE_KIND:
            raise PointsFileError(f"source {code!r} is a {row[1]} source, not a points file")
        if attribution:
            conn.execute(
                "UPDATE ref.data_sources SET attribution = %s WHERE id = %s", (attribution, row[0])
            )
        return int(row[0])
    created = conn.execute(
        "INSERT INTO ref.data_sources (code, name, kind, attribution) VALUES (%s, %s, %s, %s)"
        " RETURNING id",
        (code, name or code, POINTS_SOURCE_KIND, attribution),
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
            summary.unknown_types[checked.incident.event_type] += 1
        yield checked.incident


def ingest_points_file(
    database_url: str,
    path: Path,
    mapping: ColumnMapping,
    source_code: str,
    rules: PointRules,
    source_name: str | None = None,
    file_format: FileFormat | None = None,
    max_rejects: int | None = None,
    source_attribution: str | None = None,
) -> IngestSummary:
    """Load one points file in one transaction via COPY (merged in batches, with progress);
    the run's summary. More than `max_rejects` rejected rows (None: no limit) roll it back
    and raise TooManyRejects."""
    file_format = file_format or FileFormat()
    summary = IngestSummary()
    rows = read_rows(path, mapping, file_format)
    total = count_records(path, file_format)
    with (
        recorded_job(database_url, "ingest_points") as job,
        psycopg.connect(database_url, autocommit=True) as conn,
        conn.transaction(),
    ):
        source_id = ensure_points_source(conn, source_code, source_name, source_attribution)
        incidents = list(
            checked_incidents(progress(rows, total, f"read {path.name}"), rules, summary)
        )
        if max_rejects is not None and sum(summary.rejected.values()) > max_rejects:
            raise TooManyRejects(summary, max_rejects)
        batches = (incidents[i : i + MERGE_BATCH] for i in range(0, len(incidents), MERGE_BATCH))
        for batch in progress(batches, -(-len(incidents) // MERGE_BATCH), "merge (batches)"):
            counts = merge_incidents(conn, source_id, batch)
            summary.inserted += counts.inserted
            summary.updated += counts.updated
            summary.unchanged += counts.unchanged
        apply_type_severities(conn, source_id, rules.types, {i.event_type for i in incidents})
        job.rows = summary.inserted + summary.updated
        job.details = {"file": str(path), "source": source_code, **summary.as_dict()}
    return summary


def apply_type_severities(
    conn: psycopg.Connection, source_id: int, types: TypeMapping | None, words: set[str]
) -> None:
    """Set the severity the type mapping gives the source words of this file (else the
    category's weight stays, as the merge set it)."""
    if types is None:
        return
    for word in sorted(words):
        mapped = types.lookup(word)
        severity = mapped[1] if mapped else None
        if severity is not None:
            conn.execute(
                "UPDATE raw.incidents SET severity = %s WHERE source_id = %s"
                " AND event_type = %s AND severity IS DISTINCT FROM %s::real",
                (severity, source_id, word, severity),
            )


def default_rules(
    local_tz: str,
    time_format: str | None,
    region_bbox: tuple[float, float, float, float] | None,
    types: TypeMapping | None = None,
    crs: str | None = None,
) -> PointRules:
    """Rules with the current time as the limit for future times."""
    transformer = coordinate_transformer(crs) if crs else None
    return PointRules(
        ZoneInfo(local_tz), time_format, region_bbox, datetime.now(UTC), types, transformer
    )
