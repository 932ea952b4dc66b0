"""Least privilege: the analyst role only reads, the API role cannot change the schema."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.dbtools import ScratchDatabase

READ_ONLY_OR_DENIED = {"25006", "42501"}

ANALYST_WRITES = [
    "INSERT INTO ref.incident_categories VALUES ('x', 'x', 'x', 0.1, true)",
    "UPDATE ref.incident_categories SET severity_weight = 0",
    "DELETE FROM ref.incident_categories",
    "CREATE TABLE analytics.scratch (id int)",
    "CREATE TABLE public.scratch (id int)",
]


def sqlstate_of(url: str, statement: str, *, setup: str | None = None) -> str | None:
    """Run a statement; the SQLSTATE it failed with, or None if it succeeded."""
    with psycopg.connect(url, autocommit=True) as conn:
        if setup:
            conn.execute(setup)
        try:
            conn.execute(statement)
        except psycopg.Error as exc:
            return exc.sqlstate
        return None


@pytest.mark.parametrize("statement", ANALYST_WRITES)
def test_analyst_cannot_write(db: ScratchDatabase, statement: str) -> None:
    assert sqlstate_of(db.analyst_url, statement) in READ_ONLY_OR_DENIED


@pytest.mark.parametrize("statement", ANALYST_WRITES)
def test_analyst_cannot_write_even_after_leaving_read_only_mode(
    db: ScratchDatabase, statement: str
) -> None:
    # The read-only default is a convenience; privileges are what actually stop a write.
    setup = "SET default_transaction_read_only = off"
    assert sqlstate_of(db.analyst_url, statement, setup=setup) == "42501"


def test_analyst_sessions_are_read_only_by_default(db: ScratchDatabase) -> None:
    with psycopg.connect(db.analyst_url) as conn:
        row = conn.execute("SHOW default_transaction_read_only").fetchone()
    assert row == ("on",)


def test_analyst_reads_reference_data_but_not_raw_payloads(db: ScratchDatabase) -> None:
    with psycopg.connect(db.analyst_url) as conn:
        count = conn.execute("SELECT count(*) FROM ref.incident_categories").fetchone()
    assert count is not None and count[0] >= 9
    assert sqlstate_of(db.analyst_url, "SELECT * FROM raw.user_reports") == "42501"


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE raw.incidents",
        "ALTER TABLE raw.user_reports ADD COLUMN x int",
        "TRUNCATE raw.user_reports",
        "CREATE TABLE raw.scratch (id int)",
        "INSERT INTO raw.incidents (source_id, external_id, event_type, category, severity,"
        " first_seen_at, location_support, county_code, raw_payload)"
        " VALUES (1, 'x', 'Stöld', 'theft', 0.4, now(), 'county', '01', '{}')",
        "UPDATE ref.districts SET name = 'x'",
        "UPDATE raw.user_reports SET geom = NULL",
        "DELETE FROM ops.job_runs",
    ],
)
def test_api_role_cannot_change_schema_or_reference_data(
    db: ScratchDatabase, statement: str
) -> None:
    assert sqlstate_of(db.api_url, statement) == "42501"


def test_api_role_has_a_statement_timeout(db: ScratchDatabase) -> None:
    assert sqlstate_of(db.api_url, "SELECT pg_sleep(10)", setup="SET statement_timeout = 100") == (
        "57014"
    )
    with psycopg.connect(db.api_url) as conn:
        row = conn.execute("SHOW statement_timeout").fetchone()
    assert row == ("5s",)
