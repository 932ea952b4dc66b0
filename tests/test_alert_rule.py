"""The per-city alert rule: a city's alert zones cover at most its ref.cities.alert_area, by a
reference multiple k chosen at each refresh from one ladder (risk_score = RR_lo / (k + RR_lo)),
with hysteresis; the SQL (risk.choose_alert_multiples) and its Python mirror for the backtest
(pipeline/risk/alert_rule.py) agree on the constants and on the choice."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest

from pipeline.risk import alert_rule
from pipeline.risk.backtest import Folds, alert_multiples, alert_rows
from tests.support.dbtools import ScratchDatabase

THRESHOLD = 0.6


def test_the_ladder_the_relaxed_share_and_the_default_cap_are_one_rule(
    db: ScratchDatabase,
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        ladder, relax = conn.execute(
            "SELECT risk.alert_multiples(), risk.alert_area_relax()"
        ).fetchone() or (None, None)
        default = conn.execute(
            "SELECT column_default FROM information_schema.columns"
            " WHERE table_schema = 'ref' AND table_name = 'cities' AND column_name = 'alert_area'"
        ).fetchone()
    assert tuple(ladder) == alert_rule.ALERT_MULTIPLES
    assert relax == pytest.approx(alert_rule.ALERT_AREA_RELAX)
    assert default is not None and float(default[0]) == alert_rule.DEFAULT_ALERT_AREA
    assert list(alert_rule.ALERT_MULTIPLES) == sorted(alert_rule.ALERT_MULTIPLES)
    assert alert_rule.ALERT_MULTIPLES[0] == 1.0  # sparse cities keep the plain meaning


def concentrated_city(seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """RR_lo of 400 equal cells: most near the city rate, a tail well above it."""
    rng = np.random.default_rng(seed)
    return rng.lognormal(mean=-0.4, sigma=0.8, size=400), np.full(400, 0.1)


def test_the_smallest_rung_within_the_cap_and_hysteresis_on_the_way_down() -> None:
    rr, area = concentrated_city()
    unscaled = alert_rule.alert_share(rr, area, 1.0, THRESHOLD)
    assert unscaled > 0.05  # the dense-city problem: too much of the city in alert
    k, share = alert_rule.alert_multiple([(rr, area)], THRESHOLD, 0.05)
    assert k > 1 and share <= 0.05
    lower = alert_rule.ALERT_MULTIPLES[alert_rule.ALERT_MULTIPLES.index(k) - 1]
    assert alert_rule.alert_share(rr, area, lower, THRESHOLD) > 0.05
    # Coming from a higher k, it falls back only to the first rung within 0.8 x the cap.
    relaxed = next(
        m
        for m in alert_rule.ALERT_MULTIPLES
        if alert_rule.alert_share(rr, area, m, THRESHOLD) <= 0.05 * alert_rule.ALERT_AREA_RELAX
    )
    high, _ = alert_rule.alert_multiple([(rr, area)], THRESHOLD, 0.05, previous=20.0)
    assert high == max(k, relaxed)
    # ...and from a lower one it rises at once to the first rung within the cap.
    assert alert_rule.alert_multiple([(rr, area)], THRESHOLD, 0.05, previous=1.0)[0] == k
    # Sparse evidence (RR_lo well below RR) keeps k = 1 and the score unchanged.
    sparse = rr * 0.3
    assert alert_rule.alert_multiple([(sparse, area)], THRESHOLD, 0.05) == (
        1.0,
        alert_rule.alert_share(sparse, area, 1.0, THRESHOLD),
    )
    assert np.allclose(alert_rule.score_of(rr, 1.0), rr / (1 + rr))


@pytest.mark.parametrize("previous", [1.0, 2.0, 20.0])
def test_sql_and_python_choose_the_same_multiple(db: ScratchDatabase, previous: float) -> None:
    """risk.choose_alert_multiples on a posterior table of known RR_lo at two levels against
    alert_rule.alert_multiple on the same numbers (rolled back)."""
    rr9, area9 = concentrated_city(1)
    rr8, area8 = concentrated_city(2)
    expected = alert_rule.alert_multiple(
        [(rr9, area9), (rr8, area8)], THRESHOLD, 0.05, previous=previous
    )
    with psycopg.connect(db.owner_url) as conn:
        city = conn.execute(
            "INSERT INTO ref.cities (code, name, time_zone) VALUES ('testby', 'Testby', 'UTC')"
            " RETURNING id"
        ).fetchone()
        assert city is not None
        conn.execute(
            "INSERT INTO risk.city_rates (city_id, rate_per_km2, mass, area_km2,"
            " located_incidents, alert_multiple) VALUES (%s, 1, 1, 1, 1, %s)",
            (city[0], previous),
        )
        conn.execute(
            "CREATE TEMP TABLE cell_posterior (city_id smallint, resolution smallint,"
            " area_km2 double precision, rr_lower double precision)"
        )
        for resolution, rr, area in ((9, rr9, area9), (8, rr8, area8), (7, rr8 * 9, area8)):
            conn.cursor().executemany(
                "INSERT INTO cell_posterior VALUES (%s, %s, %s, %s)",
                [(city[0], resolution, float(a), float(r)) for r, a in zip(rr, area, strict=True)],
            )
        conn.execute("SELECT risk.choose_alert_multiples()")
        chosen = conn.execute(
            "SELECT alert_multiple, alert_area_share FROM risk.city_rates WHERE city_id = %s",
            city,
        ).fetchone()
        conn.rollback()
    assert chosen is not None
    assert chosen[0] == expected[0]  # resolution 7 (coarse, opt-in) does not bind
    assert chosen[1] == pytest.approx(expected[1], abs=1e-6)
    assert chosen[1] <= 0.05 or chosen[0] == alert_rule.ALERT_MULTIPLES[-1]


def test_the_backtest_applies_the_rule_origin_after_origin() -> None:
    """backtest.alert_multiples / alert_rows on folds of a concentrated city's published score
    (k = 1 in the folds, as method_predictions gives it): k > 1 at every origin, the zones
    within the cap at both alert levels, and the ranking (PAI) untouched."""
    folds = Folds()
    for origin in range(6):
        for level, seed in (("h3_9", 10), ("h3_8", 20)):
            rr, area = concentrated_city(seed + origin % 2)
            score = alert_rule.score_of(rr, 1.0)
            folds.add(level, "risk_score", score * area, np.zeros_like(area), area)
    ks = alert_multiples(folds, "risk_score")
    assert len(ks) == 6 and all(k > 1 for k in ks)
    for level in ("h3_9", "h3_8"):
        rows = {
            m: v
            for _, _, m, _, v in alert_rows(
                level, "risk_score", folds.data[(level, "risk_score")], ks
            )
        }
        assert rows["alert_area_share"] <= alert_rule.DEFAULT_ALERT_AREA
        assert rows["alert_multiple"] == pytest.approx(float(np.mean(ks)))
        unscaled = alert_rows(level, "risk_score", folds.data[(level, "risk_score")])
        assert dict((m, v) for _, _, m, _, v in unscaled)["alert_area_share"] > 0.05
    # A city's own, tighter cap (ref.cities.alert_area, carried by its Study) is the one kept.
    tight = alert_multiples(folds, "risk_score", 0.02)
    assert all(t >= k for t, k in zip(tight, ks, strict=True)) and tight != ks
    for level in ("h3_9", "h3_8"):
        share = {
            m: v
            for _, _, m, _, v in alert_rows(
                level, "risk_score", folds.data[(level, "risk_score")], tight
            )
        }["alert_area_share"]
        assert share <= 0.02
