"""The Expo transport against a local fake: tickets, receipts, errors, invalid tokens, CLI."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from pydantic import SecretStr, ValidationError
from typer.testing import CliRunner

from cli import push as push_cli
from config.push import PushSettings
from config.settings import Settings, get_settings
from pipeline.push.cycle import run_push_cycle
from pipeline.push.dispatch import dispatch_pushes
from pipeline.push.expo import (
    ExpoPushTransport,
    PushCredentialsRejected,
    PushMessage,
    PushRequestRejected,
    PushServiceBusy,
)
from pipeline.push.receipts import check_receipts
from tests.support.dbtools import ScratchDatabase
from tests.support.expo_fake import FakeExpo, running_fake_expo
from tests.support.live_server import free_port
from tests.support.push_support import (
    count,
    expo_token,
    fast_push_settings,
    outbox,
    police_event,
    register_directly,
    seed_districts,
)


@pytest.fixture
def expo(settings: Settings) -> Iterator[tuple[FakeExpo, str]]:
    """A fake Expo push service on loopback."""
    with running_fake_expo(settings) as running:
        yield running


def message(token: str) -> PushMessage:
    return PushMessage(to=token, data={"type": "test"}, title="t", body="b")


def test_device_not_registered_in_a_ticket_removes_the_device_and_nothing_else(
    db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    districts = seed_districts(db)
    push = fast_push_settings(settings, url)
    gone, kept = expo_token(), expo_token()
    gone_id = register_directly(db, push, gone, [districts["Västra"]])
    register_directly(db, push, kept, [districts["Västra"]])
    fake.unregistered = {gone}
    police_event(db, "e1", districts["Västra"])

    summary = dispatch_pushes(db.owner_url, push)

    assert (summary.sent, summary.devices_removed) == (1, 1)
    assert count(db, "SELECT count(*) FROM push.devices WHERE id = %s", (gone_id,)) == 0
    assert (
        count(db, "SELECT count(*) FROM push.device_districts WHERE device_id = %s", (gone_id,))
        == 0
    )
    assert len(fake.accepted_for(kept)) == 1
    assert [r["status"] for r in outbox(db)] == ["sent"]


def test_receipts_mark_delivery_and_device_not_registered_removes_the_device(
    db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    districts = seed_districts(db)
    push = fast_push_settings(settings, url)
    gone, kept = expo_token(), expo_token()
    gone_id = register_directly(db, push, gone, [districts["Östra"]])
    register_directly(db, push, kept, [districts["Östra"]])
    police_event(db, "e1", districts["Östra"])
    dispatch_pushes(db.owner_url, push)
    fake.unregistered_on_receipt = {gone}

    summary = check_receipts(db.owner_url, push)
    again = check_receipts(db.owner_url, push)

    assert (summary.checked, summary.delivered, summary.devices_removed) == (2, 1, 1)
    assert again.checked == 0
    assert count(db, "SELECT count(*) FROM push.devices WHERE id = %s", (gone_id,)) == 0
    assert [r["status"] for r in outbox(db)] == ["delivered"]
    assert fake.receipt_requests == [2]


def test_a_refused_access_token_fails_the_run_and_keeps_the_messages(
    db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    fake.access_token = "expo-access-token"
    districts = seed_districts(db)
    wrong = fast_push_settings(settings, url, expo_access_token=SecretStr("wrong"))
    right = fast_push_settings(settings, url, expo_access_token=SecretStr("expo-access-token"))
    register_directly(db, wrong, expo_token(), [districts["Västra"]])
    police_event(db, "e1", districts["Västra"])

    with pytest.raises(PushCredentialsRejected):
        dispatch_pushes(db.owner_url, wrong)
    assert [r["status"] for r in outbox(db)] == ["pending"]
    failed = "SELECT count(*) FROM ops.job_runs WHERE kind = 'push_dispatch' AND status = 'failed'"
    assert count(db, failed) == 1
    assert dispatch_pushes(db.owner_url, right).sent == 1


def test_whole_request_errors_become_codes_and_the_right_exceptions(
    settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    token = expo_token()
    with ExpoPushTransport(fast_push_settings(settings, url)) as transport:
        for status, error, code in [
            (429, PushServiceBusy, "TOO_MANY_REQUESTS"),
            (500, PushServiceBusy, "INTERNAL_SERVER_ERROR"),
            (503, PushServiceBusy, "SERVICE_UNAVAILABLE"),
            (400, PushRequestRejected, "VALIDATION_ERROR"),
        ]:
            fake.scripted_statuses = [status]
            with pytest.raises(error) as raised:
                transport.send([message(token)])
            assert raised.value.code == code
        [ticket] = transport.send([message("ExponentPushToken[not registered]")])
        assert (ticket.id, ticket.error) == (None, "DeviceNotRegistered")
        with pytest.raises(ValueError, match=r"1\.\.100"):
            transport.send([message(token)] * 101)
    assert fake.accepted == []


def test_an_unreachable_service_is_busy_not_failed(settings: Settings) -> None:
    nowhere = fast_push_settings(settings, f"http://127.0.0.1:{free_port()}")
    with ExpoPushTransport(nowhere) as transport, pytest.raises(PushServiceBusy) as raised:
        transport.send([message(expo_token())])
    assert raised.value.code == "unreachable"


def test_settings_refuse_bad_keys_and_unordered_thresholds(settings: Settings) -> None:
    with pytest.raises(ValidationError, match="32 bytes"):
        PushSettings(token_key=SecretStr("c2hvcnQ="))
    with pytest.raises(ValidationError, match="critical_min_severity"):
        PushSettings(critical_min_severity=0.5, high_min_severity=0.8)
    with pytest.raises(ValueError, match="HALO_PUSH_TOKEN_KEY"):
        PushSettings().refuse_unsafe("production")
    with pytest.raises(ValueError, match="too predictable"):
        PushSettings(token_key=SecretStr("a" * 43 + "=")).refuse_unsafe("production")
    PushSettings(token_key=SecretStr("3q2-7wVfN8lJ0xYt5bRkHc1mZp4sW6uEa9dGiQoTnLU")).refuse_unsafe(
        "production"
    )


def test_the_cli_dispatches_and_checks_receipts(
    db: ScratchDatabase,
    settings: Settings,
    expo: tuple[FakeExpo, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, url = expo
    districts = seed_districts(db)
    token = expo_token()
    register_directly(db, settings.push, token, [districts["Västra"]])
    police_event(db, "e1", districts["Västra"])
    monkeypatch.setenv("DATABASE_URL", db.owner_url)
    monkeypatch.setenv("HALO_PUSH_EXPO_BASE_URL", url)
    monkeypatch.setenv("HALO_PUSH_RECEIPT_DELAY_S", "0")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        sent = runner.invoke(push_cli.app, ["dispatch"])
        receipts = runner.invoke(push_cli.app, ["receipts"])
    finally:
        get_settings.cache_clear()
    assert sent.exit_code == 0, sent.output
    assert "queued 1" in sent.stdout and "sent 1" in sent.stdout
    assert receipts.exit_code == 0, receipts.output
    assert "delivered 1" in receipts.stdout
    assert len(fake.accepted_for(token)) == 1
    with psycopg.connect(db.owner_url) as conn:
        kinds = conn.execute("SELECT kind, status FROM ops.job_runs ORDER BY id").fetchall()
    assert kinds == [("push_dispatch", "success"), ("push_receipts", "success")]


def test_a_push_cycle_sends_settles_receipts_and_never_raises(
    db: ScratchDatabase, settings: Settings, expo: tuple[FakeExpo, str]
) -> None:
    fake, url = expo
    fake.access_token = "expo-access-token"
    districts = seed_districts(db)
    right = fast_push_settings(settings, url, expo_access_token=SecretStr("expo-access-token"))
    register_directly(db, right, expo_token(), [districts["Västra"]])
    police_event(db, "e1", districts["Västra"])

    refused = run_push_cycle(db.owner_url, fast_push_settings(settings, url))
    done = run_push_cycle(db.owner_url, right)

    assert refused is None and done is not None and done.sent == 1
    assert [r["status"] for r in outbox(db)] == ["delivered"]
    with psycopg.connect(db.owner_url) as conn:
        runs = conn.execute("SELECT kind, status FROM ops.job_runs ORDER BY id").fetchall()
    assert runs == [
        ("push_dispatch", "failed"),
        ("push_receipts", "success"),
        ("push_dispatch", "success"),
        ("push_receipts", "success"),
    ]
