"""Schemathesis against the app's own OpenAPI schema, every operation, a fixed seed, over real
HTTP on a seeded database: no 5xx, and every answer matches what the schema declares."""

from __future__ import annotations

from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from config.settings import Settings
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
from tests.support.live_server import live_server
from tests.support.opstools import api_key, seed_small_city, tuned

# The schema does not depend on the database: build it from an app that never connects.
_UNUSED = "postgresql://unused@127.0.0.1:1/unused"
SCHEMA = schemathesis.openapi.from_dict(
    create_app(Settings(database_url=_UNUSED, api_database_url=_UNUSED)).openapi()  # type: ignore[call-arg]
)
# The key is sent by the test (an admin key); the fuzzer varies everything else.
SCHEMA.config.generation.update(with_security_parameters=False)
SEED = 20261129


@pytest.fixture(scope="module")
def fuzzed_api(
    settings: Settings, db_factory: DatabaseFactory, template_db: ScratchDatabase
) -> Iterator[tuple[str, str]]:
    """One live server on a seeded database for the whole module; its URL and an admin key."""
    db = db_factory.create(template=template_db.name)
    try:
        seed_small_city(db.owner_url)
        key = api_key(db, "admin")
        # Limits out of the way: the fuzzer sends far more requests than a client would.
        config = tuned(settings, db, rate_limits={"enabled": False})
        with live_server(config) as client:
            yield str(client.base_url), key
    finally:
        db_factory.drop(db.name)


@SCHEMA.parametrize()
@hypothesis.settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@hypothesis.seed(SEED)
def test_every_operation_answers_without_5xx_and_as_declared(
    case: schemathesis.Case,  # type: ignore[type-arg]
    fuzzed_api: tuple[str, str],
) -> None:
    base_url, key = fuzzed_api
    case.call_and_validate(
        base_url=base_url,
        headers={"X-API-Key": key},
        timeout=30,
        # A schema-valid request may still be refused with a clear 4xx when its values do not
        # fit together (a bbox with min > max): OpenAPI cannot state such rules. Everything
        # else is checked: no 5xx, answers as declared, invalid input and missing keys refused.
        excluded_checks=[positive_data_acceptance],
    )
