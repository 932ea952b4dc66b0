"""Report settings: photo storage and limits, location rounding, time limits, client quota."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from config.base import HaloSettings, halo_home


def _default_photo_dir() -> Path:
    return halo_home() / "photos"


class ReportSettings(HaloSettings):
    """`POST /api/v1/reports/submit` and the report routes (HALO_REPORTS_ prefix).

    Clustering and corroboration parameters live in the database (ref.report_parameters) so
    the nightly job, the API and analysts use the same values.
    """

    model_config = SettingsConfigDict(env_prefix="HALO_REPORTS_")

    # Photos are stored on disk (outside the repository) unless an S3 bucket is set; S3
    # credentials come from the AWS_* variables as boto3 reads them.
    photo_dir: Path = Field(default_factory=_default_photo_dir)
    photo_s3_bucket: str | None = None
    photo_s3_prefix: str = "halo/photos/"
    photo_s3_endpoint_url: str | None = None
    photo_s3_region: str | None = None
    photo_max_bytes: int = Field(default=8 * 2**20, ge=1024, le=64 * 2**20)
    # Decompression-bomb guard: width x height of an accepted photo.
    photo_max_pixels: int = Field(default=40_000_000, ge=10_000)
    photo_jpeg_quality: int = Field(default=88, ge=50, le=95)
    # Videos: a short clip (MP4/MOV or WebM, told by its bytes), re-muxed by ffmpeg without
    # metadata or location tags, with a JPEG poster frame; kept in the photo store.
    video_max_seconds: float = Field(default=30, gt=0, le=300)
    video_max_bytes: int = Field(default=50 * 2**20, ge=1024, le=512 * 2**20)
    ffmpeg_path: str = "ffmpeg"
    ffprobe_path: str = "ffprobe"
    # Wall-clock limit of each ffmpeg/ffprobe run (a hostile file must not hold a worker).
    video_process_timeout_s: float = Field(default=60, gt=0, le=600)
    # Stored locations are the centre of the H3 cell at this resolution (10: ~75 m edge).
    # Keep it at or finer than the risk base resolution (9) so a report lands in one cell.
    location_h3_resolution: int = Field(default=10, ge=7, le=12)
    # Reports about events older than this, or later than now plus the clock-skew allowance,
    # are refused.
    max_age_h: float = Field(default=168, gt=0, le=24 * 90)
    max_future_s: int = Field(default=300, ge=0, le=3600)
    max_accuracy_m: float = Field(default=2000, gt=0, le=50_000)
    # The service area beyond the cities' study areas (lon/lat box): Stockholm county with a
    # margin, so reports are taken before the first refresh.
    service_bbox: tuple[float, float, float, float] = (17.0, 58.6, 19.7, 60.3)
    # Reports stored per device (X-Device-Id) or, without one, per client address, per 24 h;
    # on top of the request limit of the 'reports' route class.
    per_client_daily_limit: int = Field(default=20, ge=1, le=10_000)
    # Reports stored per client address per 24 h whatever the device ids (a rotating
    # X-Device-Id does not lift the quota); larger, since many phones share a carrier address.
    per_address_daily_limit: int = Field(default=60, ge=1, le=100_000)

    @model_validator(mode="after")
    def _bbox_is_ordered(self) -> ReportSettings:
        xmin, ymin, xmax, ymax = self.service_bbox
        if not (-180 <= xmin < xmax <= 180 and -90 <= ymin < ymax <= 90):
            raise ValueError("HALO_REPORTS_SERVICE_BBOX: xmin,ymin,xmax,ymax in lon/lat order")
        return self
