"""Device registration: validation, the device secret, sealed tokens, update and unsubscribe."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest

from core.device_tokens import TokenSealer, TokenUnreadable, looks_like_expo_token
from tests.support.dbtools import ScratchDatabase
from tests.support.push_support import count, expo_token, police_event, seed_districts

DEVICE_TABLES = ("push.devices", "push.device_districts", "push.outbox")


def registration(token: str, districts: list[int], **fields: Any) -> dict[str, Any]:
    return {
        "expo_push_token": token,
        "platform": "ios",
        "language": "en",
        "followed_district_ids": districts,
        "threat_levels": ["critical", "high"],
        "quiet_hours": {"start": "22:00", "end": "07:00"},
        **fields,
    }


def rows_about_devices(db: ScratchDatabase) -> int:
    return sum(count(db, f"SELECT count(*) FROM {table}") for table in DEVICE_TABLES)


def test_registration_answers_an_id_and_a_secret_and_stores_the_token_sealed(
    api: httpx.Client, db: ScratchDatabase
) -> None:
    districts = seed_districts(db)
    token = expo_token()
    answer = api.post("/api/v1/devices", json=registration(token, [districts["Västra"]]))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert uuid.UUID(body["device_id"]) and len(body["device_secret"]) >= 43
    assert body["followed_district_ids"] == [districts["Västra"]]
    assert body["quiet_hours"] == {"start": "22:00:00", "end": "07:00:00"}
    assert "expo_push_token" not in body and token not in answer.text
    with psycopg.connect(db.owner_url) as conn:
        dump = conn.execute("SELECT d::text FROM push.devices d").fetchone()[0]
        secret_hash = conn.execute("SELECT secret_sha256 FROM push.devices").fetchone()[0]
    inner = token.removeprefix("ExponentPushToken[").rstrip("]")
    assert inner not in dump and inner.encode().hex() not in dump
    assert body["device_secret"] not in dump and len(secret_hash) == 32


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"expo_push_token": "not-a-token"}, "expo_push_token"),
        ({"expo_push_token": "ExponentPushToken[]"}, "expo_push_token"),
        ({"platform": "symbian"}, "platform"),
        ({"language": "de"}, "language"),
        ({"followed_district_ids": [1, 2, 3, 4]}, "followed_district_ids"),
        ({"followed_district_ids": [0]}, "followed_district_ids"),
        ({"threat_levels": ["dangerous"]}, "threat_levels"),
        ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00+01:00", "end": "07:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours"),
        ({"daily_cap": 0}, "daily_cap"),
        ({"latitude": 59.33}, "latitude"),
    ],
)
def test_invalid_registration_is_422_and_stores_nothing(
    api: httpx.Client, db: ScratchDatabase, change: dict[str, Any], where: str
) -> None:
    token = expo_token()
    answer = api.post("/api/v1/devices", json={**registration(token, []), **change})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert any(where in error["loc"] for error in answer.json()["errors"])
    assert token not in answer.text
    assert rows_about_devices(db) == 0


def test_unknown_district_is_422_and_stores_nothing(api: httpx.Client, db: ScratchDatabase) -> None:
    answer = api.post("/api/v1/devices", json=registration(expo_token(), [987654]))
    assert answer.status_code == 422
    assert answer.json()["title"] == "Unknown reference"
    assert rows_about_devices(db) == 0


def test_update_needs_the_device_secret_and_replaces_the_preferences(
    api: httpx.Client, db: ScratchDatabase
) -> None:
    districts = seed_districts(db)
    first = api.post("/api/v1/devices", json=registration(expo_token(), [districts["Västra"]]))
    device = first.json()
    path = f"/api/v1/devices/{device['device_id']}"
    change = registration(expo_token(), [districts["Östra"]], language="sv", quiet_hours=None)

    assert api.put(path, json=change).status_code == 401
    wrong = {"Authorization": "Bearer not-the-secret"}
    assert api.put(path, json=change, headers=wrong).status_code == 404
    own = {"Authorization": f"Bearer {device['device_secret']}"}
    assert api.put(f"/api/v1/devices/{uuid.uuid4()}", json=change, headers=own).status_code == 404

    answer = api.put(path, json=change, headers=own)
    assert answer.status_code == 200, answer.text
    assert answer.json()["language"] == "sv" and answer.json()["quiet_hours"] is None
    with psycopg.connect(db.owner_url) as conn:
        row = conn.execute(
            "SELECT d.language, d.quiet_start, array_agg(dd.district_id)"
            " FROM push.devices d JOIN push.device_districts dd ON dd.device_id = d.id"
            " GROUP BY d.id"
        ).fetchone()
    assert row == ("sv", None, [districts["Östra"]])


def test_delete_removes_everything_about_the_device(api: httpx.Client, db: ScratchDatabase) -> None:
    districts = seed_districts(db)
    device = api.post(
        "/api/v1/devices", json=registration(expo_token(), [districts["Västra"]])
    ).json()
    police_event(db, "e1", districts["Västra"])
    with psycopg.connect(db.owner_url) as conn:
        conn.execute(
            "SELECT * FROM push.enqueue_incident_messages(now(), 3600, 5, 'UTC', 0.95, 0.8, 0.3)"
        )
    assert count(db, "SELECT count(*) FROM push.outbox") == 1
    path = f"/api/v1/devices/{device['device_id']}"

    assert api.delete(path).status_code == 401
    assert api.delete(path, headers={"Authorization": "Bearer wrong"}).status_code == 404
    own = {"Authorization": f"Bearer {device['device_secret']}"}
    assert api.delete(path, headers=own).status_code == 204
    assert rows_about_devices(db) == 0
    assert api.delete(path, headers=own).status_code == 404


def test_registering_the_same_token_again_replaces_the_old_device(
    api: httpx.Client, db: ScratchDatabase
) -> None:
    districts = seed_districts(db)
    token = expo_token()
    old = api.post("/api/v1/devices", json=registration(token, [districts["Västra"]])).json()
    new = api.post("/api/v1/devices", json=registration(token, [districts["Östra"]])).json()
    assert new["device_id"] != old["device_id"]
    assert count(db, "SELECT count(*) FROM push.devices") == 1
    assert count(db, "SELECT count(*) FROM push.device_districts") == 1
    stale = {"Authorization": f"Bearer {old['device_secret']}"}
    assert api.delete(f"/api/v1/devices/{old['device_id']}", headers=stale).status_code == 404


def test_api_role_reaches_devices_only_through_the_functions(db: ScratchDatabase) -> None:
    with psycopg.connect(db.api_url) as conn:
        for table in DEVICE_TABLES:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT 1 FROM {table}")
            conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT push.remove_devices(ARRAY[gen_random_uuid()])")
    with (
        psycopg.connect(db.analyst_url) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT push.delete_device(gen_random_uuid(), '\\x00')")


def test_a_sealed_token_opens_only_with_its_key_and_its_device() -> None:
    sealer = TokenSealer.from_master_key(b"k" * 32)
    device, other = uuid.uuid4(), uuid.uuid4()
    token = expo_token()
    sealed = sealer.seal(token, device)
    assert token.encode() not in sealed and sealed != sealer.seal(token, device)
    assert sealer.open(sealed, device) == token
    with pytest.raises(TokenUnreadable):
        sealer.open(sealed, other)
    with pytest.raises(TokenUnreadable):
        TokenSealer.from_master_key(b"x" * 32).open(sealed, device)
    assert sealer.lookup(token) == sealer.lookup(token) != sealer.lookup(expo_token())
    assert looks_like_expo_token("ExpoPushToken[abcdefgh12]")
    assert not looks_like_expo_token("ExponentPushToken[abc def]")
