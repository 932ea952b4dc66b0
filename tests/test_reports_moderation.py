"""Moderation over real HTTP: reports start pending, only admin keys review them, approval and
rejection are recorded, a rejected report's photo is deleted."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from config.settings import Settings
from tests.support.dbtools import ScratchDatabase
from tests.support.live_server import live_server
from tests.support.opstools import api_key
from tests.support.report_support import (
    form,
    jpeg_with_gps,
    new_key,
    photo_files,
    report_settings,
    submit,
)

QUEUE = "/api/v1/admin/reports"


@dataclass
class Moderation:
    client: httpx.Client
    admin: dict[str, str]
    db: ScratchDatabase
    photo_dir: Path


@pytest.fixture
def mod(settings: Settings, db: ScratchDatabase, tmp_path: Path) -> Iterator[Moderation]:
    photo_dir = tmp_path / "photos"
    with live_server(report_settings(settings, db, photo_dir)) as client:
        yield Moderation(client, {"X-API-Key": api_key(db, "admin", name="test")}, db, photo_dir)


def _report(mod: Moderation, photo: bool = False, **fields: str) -> int:
    attached = ("p.jpg", jpeg_with_gps(), "image/jpeg") if photo else None
    answer = submit(mod.client, form(**fields), new_key(), attached)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_the_review_routes_need_an_admin_key(mod: Moderation) -> None:
    report_id = _report(mod)
    analyst = {"X-API-Key": api_key(mod.db, "analyst")}
    assert mod.client.get(QUEUE).status_code == 401
    assert mod.client.get(QUEUE, headers=analyst).status_code == 403
    decision = {"status": "approved"}
    moderate = f"{QUEUE}/{report_id}/moderate"
    assert mod.client.post(moderate, json=decision).status_code == 401
    assert mod.client.post(moderate, json=decision, headers=analyst).status_code == 403


def test_pending_reports_are_listed_oldest_first_with_text_and_photo_link(
    mod: Moderation,
) -> None:
    first = _report(mod, photo=True, category="violent")
    second = _report(mod, description="Window smashed at the kiosk.", category="vandalism")
    queue = mod.client.get(QUEUE, headers=mod.admin)
    assert queue.status_code == 200
    listed = queue.json()
    assert [r["id"] for r in listed] == [first, second]
    assert listed[0]["photo_url"] == f"/api/v1/admin/reports/{first}/photo"
    assert listed[1]["photo_url"] is None
    assert listed[1]["description"] == "Window smashed at the kiosk."
    assert listed[0]["corroborating_incidents"] == 0 and listed[0]["best_incident_id"] is None
    after = mod.client.get(QUEUE, params={"after_id": first}, headers=mod.admin).json()
    assert [r["id"] for r in after] == [second]


def test_approving_a_report_records_who_and_when_and_leaves_the_queue(mod: Moderation) -> None:
    report_id = _report(mod)
    answer = mod.client.post(
        f"{QUEUE}/{report_id}/moderate", json={"status": "approved"}, headers=mod.admin
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "approved"
    assert answer.json()["photo_removed"] is False
    assert mod.client.get(QUEUE, headers=mod.admin).json() == []
    approved = mod.client.get(QUEUE, params={"status": "approved"}, headers=mod.admin).json()
    assert [r["id"] for r in approved] == [report_id]
    assert approved[0]["moderated_at"] is not None
    with psycopg.connect(mod.db.owner_url) as conn:
        row = conn.execute(
            "SELECT k.name FROM raw.user_reports r JOIN ops.api_keys k"
            " ON k.id = r.moderated_by_key_id WHERE r.id = %s",
            (report_id,),
        ).fetchone()
    assert row == ("test",)


def test_rejecting_a_report_deletes_its_photo(mod: Moderation) -> None:
    report_id = _report(mod, photo=True)
    assert len(photo_files(mod.photo_dir)) == 1
    answer = mod.client.post(
        f"{QUEUE}/{report_id}/moderate", json={"status": "rejected"}, headers=mod.admin
    )
    assert answer.status_code == 200
    assert answer.json()["photo_removed"] is True
    assert photo_files(mod.photo_dir) == []
    photo = mod.client.get(f"{QUEUE}/{report_id}/photo", headers=mod.admin)
    assert photo.status_code == 404
    rejected = mod.client.get(QUEUE, params={"status": "rejected"}, headers=mod.admin).json()
    assert rejected[0]["has_photo"] is False


def test_a_rejected_report_can_be_approved_later_without_its_photo(mod: Moderation) -> None:
    report_id = _report(mod, photo=True)
    for status in ("rejected", "approved"):
        answer = mod.client.post(
            f"{QUEUE}/{report_id}/moderate", json={"status": status}, headers=mod.admin
        )
        assert answer.json()["status"] == status
    assert answer.json()["photo_removed"] is False


@pytest.mark.parametrize("decision", [{"status": "pending"}, {"status": "maybe"}, {}])
def test_a_decision_other_than_approved_or_rejected_is_422(
    mod: Moderation, decision: dict[str, str]
) -> None:
    report_id = _report(mod)
    answer = mod.client.post(f"{QUEUE}/{report_id}/moderate", json=decision, headers=mod.admin)
    assert answer.status_code == 422


def test_moderating_an_unknown_report_is_404(mod: Moderation) -> None:
    answer = mod.client.post(
        f"{QUEUE}/999999/moderate", json={"status": "approved"}, headers=mod.admin
    )
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_an_unknown_status_filter_is_422(mod: Moderation) -> None:
    assert mod.client.get(QUEUE, params={"status": "all"}, headers=mod.admin).status_code == 422


def test_the_api_role_can_change_the_status_but_not_the_report(db: ScratchDatabase) -> None:
    with psycopg.connect(db.owner_url) as conn:
        conn.execute(
            "INSERT INTO raw.user_reports (idempotency_key, request_sha256, category,"
            " occurred_at, geom, h3_cell) SELECT 'key-00000001', repeat('0', 64), 'theft', now(),"
            " ST_SetSRID(ST_Point(18.07, 59.31), 4326), h3_lat_lng_to_cell(point(18.07, 59.31), 10)"
        )
    with psycopg.connect(db.api_url, autocommit=True) as conn:
        conn.execute("UPDATE raw.user_reports SET moderation_status = 'approved'")
        for statement in (
            "UPDATE raw.user_reports SET category = 'violent'",
            "UPDATE raw.user_reports SET occurred_at = now()",
            "DELETE FROM raw.user_reports",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
