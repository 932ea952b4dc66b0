"""A push token never appears in logs, error answers, job records or the outbox."""

from __future__ import annotations

import logging

import httpx
import psycopg
import pytest

from config.logging import JsonFormatter
from config.settings import Settings
from pipeline.push.dispatch import dispatch_pushes
from pipeline.push.receipts import check_receipts
from tests.support.dbtools import ScratchDatabase
from tests.support.expo_fake import running_fake_expo
from tests.support.push_support import expo_token, fast_push_settings, police_event, seed_districts


def test_a_token_never_appears_in_logs(
    api: httpx.Client,
    db: ScratchDatabase,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    districts = seed_districts(db)
    token, gone, refused = expo_token(), expo_token(), expo_token()
    body = {"platform": "ios", "language": "sv", "followed_district_ids": [districts["Västra"]]}
    first = api.post("/api/v1/devices", json={**body, "expo_push_token": token}).json()
    api.post("/api/v1/devices", json={**body, "expo_push_token": gone})
    api.post("/api/v1/devices", json={**body, "expo_push_token": refused, "platform": "x"})
    api.post("/api/v1/devices", json={**body, "expo_push_token": refused + " tail"})
    own = {"Authorization": f"Bearer {first['device_secret']}"}
    api.put(
        f"/api/v1/devices/{first['device_id']}",
        json={**body, "expo_push_token": token},
        headers=own,
    )
    police_event(db, "e1", districts["Västra"])
    with running_fake_expo(settings) as (fake, url):
        # Expo's error texts quote the token; they must not travel further.
        fake.unregistered = {gone}
        fake.unregistered_on_receipt = {token}
        push = fast_push_settings(settings, url)
        dispatch_pushes(db.owner_url, push)
        check_receipts(db.owner_url, push)
        api.delete(f"/api/v1/devices/{first['device_id']}", headers=own)
    assert len(fake.accepted) == 1  # the flow really ran: one accepted, one refused

    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    captured = capfd.readouterr()
    with psycopg.connect(db.owner_url) as conn:
        stored = (
            conn.execute(
                "SELECT coalesce(string_agg(j::text, ' '), '') FROM ops.job_runs j"
            ).fetchone()[0]
            + conn.execute(
                "SELECT coalesce(string_agg(o::text, ' '), '') FROM push.outbox o"
            ).fetchone()[0]
        )
    assert "push dispatch" in logged and "halo.api.access" in logged
    for secret in (token, gone, refused):
        inner = secret.removeprefix("ExponentPushToken[").rstrip("]")
        for text in (logged, captured.out, captured.err, stored):
            assert inner not in text
