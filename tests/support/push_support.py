"""Helpers of the push tests: tokens, a followed city, severe events, devices, the outbox."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg

from config.push import PushSettings
from config.settings import Settings
from core.device_tokens import hash_device_secret, token_sealer
from tests.support.dbtools import ScratchDatabase
from tests.support.synthetic_city import add_area, make_city


def expo_token() -> str:
    """A fresh token of Expo's shape."""
    return f"ExponentPushToken[{secrets.token_urlsafe(16)}]"


def fast_push_settings(settings: Settings, expo_url: str, **fields: Any) -> PushSettings:
    """Push settings aimed at a fake Expo, with retries and receipts due at once."""
    base = {
        "expo_base_url": expo_url,
        "retry_base_s": 0.0,
        "retry_max_s": 0.0,
        "receipt_delay_s": 0,
        "http_timeout_s": 5.0,
    }
    return settings.push.model_copy(update={**base, **fields})


def seed_districts(db: ScratchDatabase) -> dict[str, int]:
    """The synthetic city's two districts (Västra, Östra) by name."""
    with psycopg.connect(db.owner_url) as conn:
        return make_city(conn)


def police_event(
    db: ScratchDatabase,
    ext_id: str,
    district_id: int | None,
    category: str = "violent",
    support: str = "district",
    first_seen: datetime | None = None,
) -> int:
    """A polisen.se event located to a district (or vaguer), first seen now; its id."""
    with psycopg.connect(db.owner_url) as conn:
        add_area(
            conn,
            ext_id,
            support,
            first_seen or datetime.now(UTC),
            district_id=district_id,
            category=category,
        )
        row = conn.execute(
            "SELECT id FROM raw.incidents WHERE external_id = %s", (ext_id,)
        ).fetchone()
    return int(row[0])


def new_generation(db: ScratchDatabase) -> int:
    """A new risk generation, as a refresh records it; its id."""
    with psycopg.connect(db.owner_url) as conn:
        row = conn.execute(
            "INSERT INTO risk.generations (as_of, located_incidents) VALUES (now(), 0) RETURNING id"
        ).fetchone()
    return int(row[0])


def register_directly(
    db: ScratchDatabase,
    push: PushSettings,
    token: str,
    district_ids: list[int],
    threat_levels: tuple[str, ...] = ("critical", "high"),
    quiet: tuple[str, str] | None = None,
    daily_cap: int | None = None,
    language: str = "sv",
) -> uuid.UUID:
    """Register a device through push.register_device as the API does (no HTTP)."""
    device_id = uuid.uuid4()
    sealer = token_sealer(push.token_key_bytes())
    with psycopg.connect(db.owner_url) as conn:
        conn.execute(
            "SELECT push.register_device(%s, %s, %s, %s, 'android', %s, %s::text[], %s::time,"
            " %s::time, %s::smallint, %s::integer[])",
            (
                device_id,
                sealer.lookup(token),
                sealer.seal(token, device_id),
                hash_device_secret("secret"),
                language,
                list(threat_levels),
                quiet[0] if quiet else None,
                quiet[1] if quiet else None,
                daily_cap,
                district_ids,
            ),
        )
    return device_id


def outbox(db: ScratchDatabase) -> list[dict[str, Any]]:
    """Every outbox row, oldest first."""
    with psycopg.connect(db.owner_url) as conn:
        cur = conn.cursor(row_factory=psycopg.rows.dict_row)
        return cur.execute("SELECT * FROM push.outbox ORDER BY id").fetchall()


def count(db: ScratchDatabase, query: str, params: tuple[object, ...] = ()) -> int:
    """A count (or any integer) from the test database."""
    with psycopg.connect(db.owner_url) as conn:
        row = conn.execute(query, params).fetchone()
    return int(row[0])
