"""The texts of push messages, in Swedish and English, and the data-only refresh message.

Neutral wording: what the police reported, where and when, and where to read more. Never
"dangerous" or a ranking; the words of the app are "higher reported incident rate".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.push.expo import PushMessage

INCIDENT_TITLE = {
    "sv": "{category} · {district}",
    "en": "{category} · {district}",
}
INCIDENT_BODY = {
    "sv": "Polisen har rapporterat en händelse i området {when}. Öppna kartan för mer information.",
    "en": "The police reported an event in the area {when}. Open the map for more information.",
}
AT_TIME = {"sv": "kl. {time}", "en": "at {time}"}
ON_DAY_AT_TIME = {"sv": "den {day} kl. {time}", "en": "on {day} at {time}"}
FALLBACK_DISTRICT = {"sv": "ett område du följer", "en": "an area you follow"}
FALLBACK_CATEGORY = {"sv": "Händelse", "en": "Event"}
# Visible messages expire with the events they are about; a refresh is useful for a day.
INCIDENT_TTL_S = 6 * 3600
REFRESH_TTL_S = 86_400
LOUD_LEVELS = frozenset({"critical", "high"})


@dataclass(frozen=True)
class ClaimedMessage:
    """A claimed outbox row, as push.claim_due_messages returns it."""

    outbox_id: int
    device_id: uuid.UUID
    token_sealed: bytes = field(repr=False)
    language: str
    kind: str
    subject_id: int
    threat_level: str | None
    category_label: str | None
    district_id: int | None
    district_name: str | None
    event_time: datetime | None
    time_zone: str | None = None  # of the district's city; None: the sender's default zone


def event_when(event_time: datetime | None, language: str, now: datetime, tz: ZoneInfo) -> str:
    """ "kl. 14:05" today, "den 2025-05-03 kl. 23:40" another day (local time)."""
    if event_time is None:
        return ""
    local = event_time.astimezone(tz)
    clock = local.strftime("%H:%M")
    if local.date() == now.astimezone(tz).date():
        return AT_TIME[language].format(time=clock)
    return ON_DAY_AT_TIME[language].format(day=local.strftime("%Y-%m-%d"), time=clock)


def city_zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The zone of the district's city (a Vancouver event at Vancouver's clock), else the
    default (HALO_PUSH_LOCAL_TIMEZONE) without a city or for a name Python does not know."""
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default


def incident_message(
    claimed: ClaimedMessage, token: str, now: datetime, tz: ZoneInfo
) -> PushMessage:
    """The visible message about a police event in a followed district."""
    language = claimed.language if claimed.language in INCIDENT_TITLE else "en"
    district = claimed.district_name or FALLBACK_DISTRICT[language]
    category = claimed.category_label or FALLBACK_CATEGORY[language]
    when = event_when(claimed.event_time, language, now, city_zone(claimed.time_zone, tz))
    loud = claimed.threat_level in LOUD_LEVELS
    return PushMessage(
        to=token,
        title=INCIDENT_TITLE[language].format(category=category, district=district),
        body=" ".join(INCIDENT_BODY[language].format(when=when).split()),
        data={
            "type": "incident",
            "incident_id": claimed.subject_id,
            "district_id": claimed.district_id,
            "threat_level": claimed.threat_level,
        },
        priority="high" if loud else "normal",
        sound="default" if loud else None,
        ttl_s=INCIDENT_TTL_S,
    )


def refresh_message(claimed: ClaimedMessage, token: str) -> PushMessage:
    """The silent, data-only message that makes the app download the new alert zones."""
    return PushMessage(
        to=token,
        data={"type": "risk_refresh", "generation": claimed.subject_id},
        priority="normal",
        ttl_s=REFRESH_TTL_S,
        content_available=True,
    )


def render(claimed: ClaimedMessage, token: str, now: datetime, tz: ZoneInfo) -> PushMessage | None:
    """The message of a claimed row; None for a kind this sender does not write."""
    if claimed.kind == "incident":
        return incident_message(claimed, token, now, tz)
    if claimed.kind == "refresh":
        return refresh_message(claimed, token)
    return None
