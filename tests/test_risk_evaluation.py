"""Forecast metrics on hand-made examples."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from pipeline.nightly import next_daily_time
from pipeline.risk import baselines
from pipeline.risk.evaluation import (
    calibration_by_decile,
    hit_rate_at_area,
    jaccard,
    pooled_hit_rate_and_pai,
)


def test_hit_rate_takes_the_densest_units_first() -> None:
    predicted = np.array([1.0, 10.0, 5.0, 0.0])
    observed = np.array([2.0, 6.0, 1.0, 1.0])
    area = np.ones(4)
    assert hit_rate_at_area(predicted, observed, area, 0.25) == (6.0, 1.0)
    assert hit_rate_at_area(predicted, observed, area, 0.5) == (7.0, 2.0)


def test_hit_rate_counts_the_boundary_unit_in_part() -> None:
    hits, used = hit_rate_at_area(np.array([2.0, 1.0]), np.array([4.0, 8.0]), np.ones(2), 0.75)
    assert used == pytest.approx(1.5)
    assert hits == pytest.approx(4.0 + 0.5 * 8.0)


def test_density_not_count_decides_the_ranking() -> None:
    # The big unit predicts more in total but less per km2.
    predicted, area = np.array([10.0, 3.0]), np.array([10.0, 1.0])
    hits, _ = hit_rate_at_area(predicted, np.array([0.0, 5.0]), area, 1 / 11)
    assert hits == pytest.approx(5.0)


def test_pai_is_the_hit_rate_over_the_area_share() -> None:
    fold = (np.array([3.0, 1.0, 0.0, 0.0]), np.array([5.0, 3.0, 1.0, 1.0]), np.ones(4))
    hit_rate, pai = pooled_hit_rate_and_pai([fold, fold], 0.25)
    assert hit_rate == pytest.approx(0.5)
    assert pai == pytest.approx(2.0)


def test_a_uniform_forecast_has_a_pai_of_one() -> None:
    rng = np.random.default_rng(1)
    observed = rng.poisson(3, 1000).astype(float)
    _, pai = pooled_hit_rate_and_pai([(np.ones(1000), observed, np.ones(1000))], 0.2)
    assert pai == pytest.approx(1.0, abs=0.15)


def test_calibration_groups_by_predicted_value() -> None:
    predicted = np.arange(20, dtype=float)
    observed = predicted * 2
    deciles = calibration_by_decile(predicted, observed)
    assert len(deciles) == 10
    assert deciles[0] == (0.5, 1.0)
    assert deciles[-1] == (18.5, 37.0)


def test_jaccard_of_alert_sets() -> None:
    assert jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3)
    assert jaccard(set(), set()) == 1.0


def test_baselines_keep_the_weekly_total() -> None:
    last52 = np.array([52.0, 104.0, 0.0])
    area = np.array([1.0, 1.0, 2.0])
    rings = [[[1], [2]], [[0], [2]], [[0, 1], []]]
    assert baselines.last_52_weeks(last52).tolist() == [1.0, 2.0, 0.0]
    assert baselines.uniform(last52, area).tolist() == [0.75, 0.75, 1.5]
    kde = baselines.ring_kde(last52, rings)
    assert kde.sum() == pytest.approx(3.0)
    assert kde[2] > 0  # smoothed from its neighbours


@pytest.mark.parametrize(
    ("now", "due"),
    [
        ("2026-11-29T01:59:00+00:00", "2026-11-29T02:00:00+00:00"),
        ("2026-11-29T02:00:00+00:00", "2026-11-30T02:00:00+00:00"),
        ("2026-11-29T03:00:00+01:00", "2026-11-30T02:00:00+00:00"),
    ],
)
def test_the_nightly_run_is_due_at_two_utc(now: str, due: str) -> None:
    got = next_daily_time(datetime.fromisoformat(now), 2)
    assert got == datetime.fromisoformat(due)
    assert got.tzinfo is not None and got.utcoffset() == UTC.utcoffset(None)
