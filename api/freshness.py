"""How fresh the data is: the newest incident and the live feed's last polls, judged against
HALO_FEED_STALE_AFTER_HOURS and HALO_FEED_POLL_STALE_AFTER_MINUTES (readiness, freshness API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from config.feed import FeedSettings

FRESHNESS_SQL = (
    "SELECT newest_event_at, last_poll_at, last_poll_ok_at, last_error, last_error_at"
    " FROM ops.freshness('polisen')"
)
FeedStatus = Literal["ok", "stale", "unreachable", "off"]


@dataclass(frozen=True)
class Freshness:
    """The facts and the verdicts of /api/v1/freshness and the readiness check."""

    newest_event_at: datetime | None
    last_poll_ok_at: datetime | None
    last_error: str | None
    feed: FeedStatus
    stale: bool
    problems: list[str]

    def as_json(self) -> dict[str, Any]:
        """The public answer of /api/v1/freshness."""
        return {
            "newest_event_at": _iso(self.newest_event_at),
            "last_poll_ok_at": _iso(self.last_poll_ok_at),
            "feed": self.feed,
            "stale": self.stale,
        }


def judge_freshness(
    row: dict[str, Any], settings: FeedSettings, now: datetime | None = None
) -> Freshness:
    """Stale data and a failing feed, each with the setting that decides it."""
    now = now or datetime.now(UTC)
    newest, ok_at, error_at = row["newest_event_at"], row["last_poll_ok_at"], row["last_error_at"]
    stale_after = timedelta(hours=settings.stale_after_hours)
    stale = newest is None or now - newest > stale_after
    problems = []
    if stale:
        when = newest.isoformat() if newest else "none"
        problems.append(
            f"newest event ({when}) is older than {settings.stale_after_hours:g} h"
            " (HALO_FEED_STALE_AFTER_HOURS)"
        )
    feed = _feed_status(settings, now, ok_at, error_at)
    if feed in ("stale", "unreachable"):
        since = ok_at.isoformat() if ok_at else "never"
        problems.append(
            f"feed {feed}: last successful poll {since}, limit"
            f" {settings.poll_stale_after_minutes:g} min (HALO_FEED_POLL_STALE_AFTER_MINUTES)"
            + (f"; last error: {row['last_error']}" if feed == "unreachable" else "")
        )
    return Freshness(newest, ok_at, row["last_error"], feed, stale, problems)


def _feed_status(
    settings: FeedSettings, now: datetime, ok_at: datetime | None, error_at: datetime | None
) -> FeedStatus:
    if not settings.enabled:
        return "off"
    if ok_at and now - ok_at <= timedelta(minutes=settings.poll_stale_after_minutes):
        return "ok"
    if error_at and (ok_at is None or error_at > ok_at):
        return "unreachable"
    return "stale"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None
