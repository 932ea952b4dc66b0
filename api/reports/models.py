"""Shapes of the report routes: the submission form, receipts, moderation, statistics."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import UploadFile
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

ModerationStatus = Literal["pending", "approved", "rejected"]
# Characters refused in report text (docs/reports.md): C0 controls other than tab and newlines
# (a NUL cannot even be stored), DEL and the C1 controls; bidirectional overrides, embeddings,
# isolates and marks (U+202E shows "gpj.exe" as "exe.jpg"); zero-width characters and the
# byte-order mark (invisible text); U+FFFD, which is what invalid UTF-8 in a form field
# becomes (api/reports/strict_form.py), so bytes that were not UTF-8 are refused, not stored.
_REFUSED_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufffd]"
)
_ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso_text_only(value: object) -> object:
    """Text must be ISO 8601 (pydantic would also take '0.5' as seconds since 1970)."""
    if isinstance(value, str) and not _ISO_DATE_TIME.match(value):
        raise ValueError("expected an ISO 8601 date-time with offset, e.g. 2025-06-01T12:00:00Z")
    return value


IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text_only)]


class ReportForm(BaseModel):
    """A report as the app sends it: multipart/form-data fields plus an optional photo.

    Reports describe events, not people: there is no field about a person, and the free text
    is shown to moderators only.
    """

    model_config = ConfigDict(extra="forbid")

    category: str = Field(
        pattern=r"^[a-z_]{1,40}$", description="An incident category code (see ref categories)"
    )
    occurred_at: IsoDateTime = Field(description="When it happened, ISO 8601 with offset")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description="Latitude, WGS 84")
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description="Longitude, WGS 84")
    accuracy_m: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="Location accuracy, metres"
    )
    description: str | None = Field(default=None, max_length=1000)
    during_alert: bool = Field(
        default=False, description="The app had an alert zone active when the report was made"
    )
    photo: UploadFile | None = Field(
        default=None, description="JPEG, PNG or WebP; metadata (EXIF, GPS) is removed"
    )
    video: UploadFile | None = Field(
        default=None,
        description="A short clip, MP4/MOV or WebM (told by its bytes, not its declared type);"
        " re-muxed without metadata or location tags, with a poster frame",
    )

    @field_validator("description")
    @classmethod
    def _plain_text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        refused = _REFUSED_TEXT.search(value)
        if refused:
            raise ValueError(
                f"character U+{ord(refused.group()):04X} is not allowed (control, "
                "bidirectional or invisible characters, or bytes that are not UTF-8)"
            )
        return value.strip() or None

    def fingerprint_fields(self) -> dict[str, Any]:
        """The fields that define "the same request" for the idempotency check."""
        return {
            "category": self.category,
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat(),
            "lat": self.lat,
            "lon": self.lon,
            "accuracy_m": self.accuracy_m,
            "description": self.description,
            "during_alert": self.during_alert,
        }


class StoredLocation(BaseModel):
    """Where a report is stored: the centre of its H3 cell, never the exact point sent."""

    lat: float
    lon: float
    h3_cell: str
    resolution: int


class ReportReceipt(BaseModel):
    """The stored report as its sender sees it; a retry with the same key gets the same."""

    id: int
    status: ModerationStatus
    category: str
    occurred_at: datetime
    received_at: datetime
    location: StoredLocation
    accuracy_m: float | None
    has_photo: bool
    has_video: bool = False
    reported_during_alert: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ReportReceipt:
        """From a row of raw.report_receipts."""
        return cls(
            id=row["id"],
            status=row["moderation_status"],
            category=row["category"],
            occurred_at=row["occurred_at"].astimezone(UTC),
            received_at=row["received_at"].astimezone(UTC),
            location=StoredLocation(
                lat=row["lat"], lon=row["lon"], h3_cell=row["h3_cell"], resolution=row["resolution"]
            ),
            accuracy_m=row["accuracy_m"],
            has_photo=row["has_photo"],
            has_video=bool(row.get("has_video", False)),
            reported_during_alert=row["reported_during_alert"],
        )


class ReportForReview(ReportReceipt):
    """A report as a moderator sees it: with its text, photo link and police corroboration."""

    description: str | None
    photo_url: str | None
    video_url: str | None = None
    video_poster_url: str | None = None
    moderated_at: datetime | None
    corroborating_incidents: int = Field(description="Police events matching in space and time")
    best_incident_id: int | None


class ModerationRequest(BaseModel):
    """The moderator's decision."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["approved", "rejected"]


class ModeratedReport(BaseModel):
    """A report's status after moderation; a rejected report's photo is deleted."""

    id: int
    status: Literal["approved", "rejected"]
    moderated_at: datetime
    photo_removed: bool
    video_removed: bool = False


class StatusCounts(BaseModel):
    """Reports per moderation status."""

    pending: int
    approved: int
    rejected: int


class CategoryCount(BaseModel):
    """Reports of one category."""

    category: str
    label_en: str
    label_sv: str
    count: int


class DayCount(BaseModel):
    """Reports of one day (local date of occurrence, in the time zone of the report's city)."""

    day: str
    count: int
    approved: int
    rejected: int


class ReportStats(BaseModel):
    """Counts of the reports that happened in the window."""

    model_config = ConfigDict(populate_by_name=True)

    window_from: datetime = Field(alias="from")
    window_until: datetime = Field(alias="until")
    total: int
    by_status: StatusCounts
    by_category: list[CategoryCount]
    by_day: list[DayCount]
    with_photo: int
    during_alert: int
    feeding_risk: int = Field(description="Approved or corroborated, so counted in risk")


class SourceStats(BaseModel):
    """Events of one source in the window and how many another source saw too."""

    source: str
    reliability: float
    events: int
    corroborated: int
    corroboration_rate: float | None


class FusedEventStats(BaseModel):
    """Events merged across sources, with confidence 1 - prod(1 - reliability)."""

    total: int
    multi_source: int
    mean_confidence: float | None
    mean_confidence_multi_source: float | None


class DistrictStats(BaseModel):
    """Non-rejected reports of one district and their corroboration."""

    district_id: int
    name: str
    reports: int
    corroborated: int
    corroboration_rate: float


class CorroborationParameters(BaseModel):
    """The space-time window of corroboration (ref.report_parameters)."""

    corroboration_distance_m: float
    corroboration_window_h: float


class CrossSourceStats(BaseModel):
    """How app reports and police events confirm each other in the window."""

    model_config = ConfigDict(populate_by_name=True)

    window_from: datetime = Field(alias="from")
    window_until: datetime = Field(alias="until")
    reports: int
    corroborated: int
    corroboration_rate: float | None
    sources: list[SourceStats]
    fused_events: FusedEventStats
    districts: list[DistrictStats]
    parameters: CorroborationParameters


class ClusterProperties(BaseModel):
    """One DBSCAN cluster of reports."""

    cluster_id: int
    reports: int
    approved: int
    corroborated: int
    during_alert: int
    categories: dict[str, int]
    first_occurred_at: str
    last_occurred_at: str
    radius_m: float
    centroid: list[float]


class ClusterFeature(BaseModel):
    """A cluster's hull (polygon, EPSG:4326)."""

    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any]
    properties: ClusterProperties


class ClusterCollection(BaseModel):
    """Report clusters: the nightly set, or computed live with the given parameters."""

    type: Literal["FeatureCollection"]
    mode: Literal["nightly", "live"]
    eps_m: float | None
    min_points: int | None
    window_days: int
    computed_at: str | None
    features: list[ClusterFeature]
