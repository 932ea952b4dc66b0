"""Privacy over real HTTP and on the real database: erasure of a report or of a device's data
(row, photo file, moderation messages, cluster traces), retention of every kind of record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from config.privacy import RetentionSettings
from config.settings import Settings
from core.photo_store import DiskPhotoStore
from pipeline.privacy import apply_retention, erase_device_data
from tests.support.dbtools import ScratchDatabase
from tests.support.live_server import live_server
from tests.support.opstools import api_key
from tests.support.report_support import (
    LAT,
    LON,
    form,
    insert_report,
    jpeg_with_gps,
    new_key,
    photo_files,
    report_settings,
    submit,
)

PHONE = "device-erase-0001"


def _clusters(conn: psycopg.Connection) -> list[tuple[int, int]]:
    conn.execute("SELECT risk.refresh_report_clusters()")
    return conn.execute("SELECT cluster_id, reports FROM risk.report_clusters").fetchall()


def test_erasing_a_report_removes_row_photo_and_its_cluster(
    settings: Settings, db: ScratchDatabase, tmp_path: Path
) -> None:
    photo_dir = tmp_path / "photos"
    admin = {"X-API-Key": api_key(db, "admin")}
    with live_server(report_settings(settings, db, photo_dir)) as client:
        sent = submit(
            client,
            form(),
            new_key(),
            ("p.jpg", jpeg_with_gps(), "image/jpeg"),
            {"X-Device-Id": PHONE},
        )
        assert sent.status_code == 201, sent.text
        report_id = sent.json()["id"]
        with psycopg.connect(db.owner_url, autocommit=True) as conn:
            occurred = datetime.now(UTC) - timedelta(hours=1)
            for _ in range(2):
                insert_report(conn, LON, LAT, occurred)
            before = _clusters(conn)
        assert len(photo_files(photo_dir)) == 1
        erased = client.delete(f"/api/v1/admin/reports/{report_id}", headers=admin)
        again = client.delete(f"/api/v1/admin/reports/{report_id}", headers=admin)
        anonymous = client.delete(f"/api/v1/admin/reports/{report_id}")
    assert [c[1] for c in before] == [3]
    assert erased.status_code == 200, erased.text
    assert erased.json() == {"report_ids": [report_id], "photos": 1, "device_registration": False}
    assert again.status_code == 404 and anonymous.status_code == 401
    assert photo_files(photo_dir) == []
    with psycopg.connect(db.owner_url) as conn:
        left = conn.execute("SELECT count(*) FROM raw.user_reports WHERE id = %s", (report_id,))
        assert left.fetchone() == (0,)
        # Two reports are left, below the three a cluster needs: the cluster is gone at once.
        assert conn.execute("SELECT count(*) FROM risk.report_clusters").fetchone() == (0,)


def test_erasing_a_device_removes_its_reports_photos_and_registration(
    settings: Settings, db: ScratchDatabase, tmp_path: Path
) -> None:
    photo_dir = tmp_path / "photos"
    device_id = str(uuid.uuid4())
    config = report_settings(settings, db, photo_dir)
    with live_server(config) as client:
        mine = [
            submit(
                client,
                form(),
                new_key(),
                ("p.jpg", jpeg_with_gps(), "image/jpeg"),
                {"X-Device-Id": device_id},
            ).json()["id"]
            for _ in range(2)
        ]
        other = submit(client, form(), new_key(), headers={"X-Device-Id": "someone-else-01"})
    with psycopg.connect(db.owner_url) as conn:
        conn.execute(
            "INSERT INTO push.devices (id, token_lookup, token_sealed, secret_sha256, platform,"
            " language, threat_levels) VALUES (%s, %s, %s, %s, 'ios', 'sv', '{high}')",
            (device_id, b"\1" * 32, b"\2" * 40, b"\3" * 32),
        )
    salt = config.security.client_hash_salt.get_secret_value().encode()
    erased = erase_device_data(db.owner_url, DiskPhotoStore(photo_dir), salt, device_id)
    assert sorted(erased.report_ids) == sorted(mine)
    assert erased.photos == 2 and erased.device
    assert photo_files(photo_dir) == []
    with psycopg.connect(db.owner_url) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM raw.user_reports").fetchall()]
        devices = conn.execute("SELECT count(*) FROM push.devices").fetchone()
    assert ids == [other.json()["id"]]
    assert devices == (0,)


def test_retention_deletes_what_is_past_its_period_and_keeps_the_rest(
    db: ScratchDatabase, tmp_path: Path
) -> None:
    store = DiskPhotoStore(tmp_path / "photos")
    now = datetime.now(UTC)
    with psycopg.connect(db.owner_url, autocommit=True) as conn:
        ancient = insert_report(
            conn, LON, LAT, now - timedelta(days=500), received_at=now - timedelta(days=500)
        )
        old_photo = insert_report(
            conn, LON, LAT, now - timedelta(days=40), received_at=now - timedelta(days=40)
        )
        fresh = insert_report(conn, LON, LAT, now - timedelta(hours=2))
        keys = {}
        for report_id in (ancient, old_photo, fresh):
            keys[report_id] = store.put(jpeg_with_gps(), "jpg")
            conn.execute(
                "UPDATE raw.user_reports SET photo_key = %s WHERE id = %s",
                (keys[report_id], report_id),
            )
        conn.execute(
            "INSERT INTO push.devices (id, token_lookup, token_sealed, secret_sha256, platform,"
            " language, threat_levels, updated_at) VALUES"
            " (gen_random_uuid(), %s, %s, %s, 'ios', 'sv', '{high}', now() - interval '200 days'),"
            " (gen_random_uuid(), %s, %s, %s, 'web', 'en', '{high}', now())",
            (b"\1" * 32, b"\2" * 40, b"\3" * 32, b"\4" * 32, b"\5" * 40, b"\6" * 32),
        )
        conn.execute(
            "INSERT INTO ops.rate_limit_counters (route_class, subject_sha256, window_start, hits)"
            " VALUES ('reads', %s, now() - interval '3 days', 1), ('reads', %s, now(), 1)",
            (b"a" * 32, b"b" * 32),
        )
        conn.execute(
            "INSERT INTO ops.job_runs (kind, status, started_at, finished_at) VALUES"
            " ('ingest', 'success', now() - interval '100 days', now() - interval '100 days'),"
            " ('ingest', 'success', now() - interval '1 day', now() - interval '1 day')"
        )
    removed = apply_retention(db.owner_url, RetentionSettings(), store)
    assert removed == {"photos": 2, "reports": 1, "devices": 1, "rate_limits": 1, "job_logs": 1}
    with psycopg.connect(db.owner_url) as conn:
        rows = dict(conn.execute("SELECT id, photo_key FROM raw.user_reports").fetchall())
        assert conn.execute("SELECT count(*) FROM push.devices").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM ops.rate_limit_counters").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM ops.job_runs").fetchone() == (1,)
    assert rows == {old_photo: None, fresh: keys[fresh]}
    assert store.get(keys[fresh]) is not None
    assert store.get(keys[ancient]) is None and store.get(keys[old_photo]) is None
