"""The pure SQL functions of the risk model: known inputs give known outputs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from scipy import stats

from tests.support.dbtools import ScratchDatabase

# Runs one query and gives its single value (or its row).
Sql = Callable[..., Any]


@pytest.fixture
def sql(db: ScratchDatabase) -> Iterator[Sql]:
    with psycopg.connect(db.owner_url) as conn:

        def run(query: str, *params: object) -> Any:
            row = conn.execute(query, params).fetchone()
            assert row is not None
            return row[0] if len(row) == 1 else row

        yield run


@pytest.mark.parametrize("p", [0.001, 0.05, 0.1, 0.3, 0.5, 0.7, 0.95, 0.999])
def test_normal_quantile_matches_scipy(sql: Sql, p: float) -> None:
    assert sql("SELECT risk.normal_quantile(%s)", p) == pytest.approx(stats.norm.ppf(p), abs=5e-4)


@pytest.mark.parametrize("shape", [3.5, 10.0, 50.0, 400.0])
@pytest.mark.parametrize("q", [0.05, 0.95])
def test_gamma_quantile_is_within_one_percent_of_scipy(sql: Sql, shape: float, q: float) -> None:
    got = sql("SELECT risk.gamma_quantile(%s, 2.0, risk.normal_quantile(%s))", shape, q)
    assert got == pytest.approx(stats.gamma.ppf(q, shape, scale=1 / 2.0), rel=0.01)


def test_gamma_lower_quantile_errs_low_for_the_smallest_shape(sql: Sql) -> None:
    # Shape 2 is the prior alone: the approximation's lower bound is a little low, which
    # only makes the score more cautious.
    got = sql("SELECT risk.gamma_quantile(2.0, 2.0, risk.normal_quantile(0.05))")
    true = stats.gamma.ppf(0.05, 2.0, scale=0.5)
    assert 0.95 * true < got <= true


def test_score_of_maps_one_and_a_half_times_the_city_rate_to_point_six(sql: Sql) -> None:
    assert sql("SELECT risk.score_of(1.5)") == pytest.approx(0.6)
    assert sql("SELECT risk.score_of(0)") == 0
    assert sql("SELECT risk.score_of(1)") == pytest.approx(0.5)


def test_posterior_without_data_is_the_prior(sql: Sql) -> None:
    rr, lower, upper = sql("SELECT * FROM risk.posterior_rr(0, 0, 1.3, 2, 0.05)")
    assert rr == pytest.approx(1.3)
    assert lower < 1.3 < upper


def test_posterior_with_much_data_follows_the_data(sql: Sql) -> None:
    rr, lower, upper = sql("SELECT * FROM risk.posterior_rr(3000, 1000, 1.0, 2, 0.05)")
    assert rr == pytest.approx(3.0, rel=0.01)
    assert 2.85 < lower < 3.0 < upper < 3.15


def test_small_counts_are_shrunk_toward_the_prior(sql: Sql) -> None:
    # Two incidents where 0.1 were expected: a raw ratio of 20, but weak evidence.
    rr, lower, _ = sql("SELECT * FROM risk.posterior_rr(2, 0.1, 1.0, 2, 0.05)")
    assert rr < 2.0
    assert lower < 1.5


def test_incident_weight_halves_after_one_half_life(sql: Sql) -> None:
    weight = sql(
        "SELECT risk.incident_weight(0.8, '2025-01-01'::timestamptz, '2025-04-01'::timestamptz, 90)"
    )
    assert weight == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("timestamp", "hour"),
    [
        ("2026-11-30 00:30:00+01", 0),  # Monday just after midnight, Stockholm
        ("2026-11-29 23:30:00+01", 167),  # Sunday late evening
        ("2026-06-05 22:10:00+02", 4 * 24 + 22),  # Friday 22:10 summer time
        ("2026-06-05 20:10:00+00", 4 * 24 + 22),  # the same instant in UTC
    ],
)
def test_hour_of_week_is_in_the_citys_time_zone(sql: Sql, timestamp: str, hour: int) -> None:
    assert sql("SELECT risk.hour_of_week(%s::timestamptz, 'Europe/Stockholm')", timestamp) == hour


def test_the_same_instant_is_another_hour_of_week_in_another_city(sql: Sql) -> None:
    # Friday 22:10 in Stockholm (summer) is Friday 13:10 in Vancouver.
    instant = "2026-06-05 20:10:00+00"
    assert sql("SELECT risk.hour_of_week(%s::timestamptz, 'America/Vancouver')", instant) == (
        4 * 24 + 13
    )


def test_cell_polygon_is_the_h3_cell(sql: Sql) -> None:
    area_ratio, srid, contains = sql(
        "SELECT ST_Area(risk.cell_polygon(c)::geography) / h3_cell_area(c, 'm^2'),"
        " ST_SRID(risk.cell_polygon(c)),"
        " ST_Contains(risk.cell_polygon(c), ST_SetSRID(h3_cell_to_geometry(c), 4326))"
        " FROM (SELECT h3_lat_lng_to_cell(ST_SetSRID(ST_Point(18.06, 59.33), 4326), 9) c) x"
    )
    assert area_ratio == pytest.approx(1.0, rel=0.01)
    assert srid == 4326
    assert contains is True
