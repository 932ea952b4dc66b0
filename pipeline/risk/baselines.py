"""The baselines every backtest runs beside the model: uniform by area, last-52-week counts,
and a ring kernel density (the last 52 weeks smoothed over H3 neighbour rings)."""

from __future__ import annotations

import numpy as np
from scipy import sparse, stats

from pipeline.risk.alert_rule import score_of

# Kernel weight of the cell itself and of its first and second rings.
RING_KERNEL = (1.0, 0.5, 0.25)


def uniform(last52: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Last year's weekly total spread by area."""
    return np.asarray(last52.sum() / 52.0 * area / area.sum())


def last_52_weeks(last52: np.ndarray) -> np.ndarray:
    """Each unit's weekly mean over the last 52 weeks."""
    return last52 / 52.0


def ring_kde(last52: np.ndarray, rings: list[list[list[int]]]) -> np.ndarray:
    """Last-52-week counts smoothed over neighbour rings, rescaled to the same weekly total.

    rings[i][k] lists the row indices of unit i's ring k (k = 1, 2).
    """
    smoothed = RING_KERNEL[0] * last52.astype(float)
    for i, unit_rings in enumerate(rings):
        for k, members in enumerate(unit_rings, start=1):
            if members:
                smoothed[i] += RING_KERNEL[k] * last52[members].mean()
    total = smoothed.sum()
    if total <= 0:
        return smoothed
    return np.asarray(smoothed * (last52.sum() / 52.0) / total)


def ring_kde_matrix(
    rate: np.ndarray, ring1: sparse.csr_matrix, ring2: sparse.csr_matrix
) -> np.ndarray:
    """ring_kde with rings as adjacency matrices (the matrix backtest's units)."""
    smoothed = RING_KERNEL[0] * rate.astype(float)
    for kernel, ring in zip(RING_KERNEL[1:], (ring1, ring2), strict=True):
        degree = np.asarray(ring.sum(axis=1)).ravel()
        total = ring @ rate
        smoothed += kernel * np.divide(total, degree, out=np.zeros_like(total), where=degree > 0)
    if smoothed.sum() <= 0:
        return smoothed
    return np.asarray(smoothed * rate.sum() / smoothed.sum())


def decayed_expected(
    weekly: np.ndarray, area: np.ndarray, half_life_days: float = 90.0
) -> tuple[np.ndarray, np.ndarray]:
    """(O, E) of the published score: each unit's decayed mass over the weeks of `weekly`
    (oldest first, the last the week before the origin) and the city's decayed mass spread by
    area."""
    age_days = (np.arange(weekly.shape[1])[::-1] + 0.5) * 7.0
    observed = weekly @ (0.5 ** (age_days / half_life_days))
    rate = max(observed.sum() / area.sum(), 1e-9)
    return observed, rate * area


def risk_score_from_model(
    expected_week: np.ndarray,
    area: np.ndarray,
    window_weeks: float = 90 / np.log(2) * (1 - 0.5 ** (365 / 90)) / 7,
    prior_strength: float = 2.0,
    lower_quantile: float = 0.05,
    multiple: float = 1.0,
) -> np.ndarray:
    """The published risk_score of sql/072 (risk.model_evidence, risk.rebuild_cell_risk)
    where the model predicts the unit: the model's relative risk RR_m (expected_week against
    the model's city rate over the unit's area) with the evidence of a unit of the level's
    mean area over the decayed window's weeks (risk.evidence_weeks): O = RR_m x E against E;
    prior at the city rate; the Gamma posterior's lower quantile; RR_lo / (k + RR_lo), k the
    city's reference multiple (alert_multiple). It rises with RR_m alone, so it ranks exactly
    as the model does."""
    model_rate = max(expected_week.sum() / area.sum(), 1e-12)
    expected = model_rate * area.mean() * window_weeks
    observed = expected_week / (area * model_rate) * expected
    shape = prior_strength + observed
    rr_lower = stats.gamma.ppf(lower_quantile, shape, scale=1.0 / (prior_strength + expected))
    return score_of(rr_lower, multiple)


def risk_score_now(
    weekly: np.ndarray,
    area: np.ndarray,
    ring1: sparse.csr_matrix,
    ring2: sparse.csr_matrix,
    prior_strength: float = 2.0,
    ring_weights: tuple[float, float] = (0.5, 0.25),
    half_life_days: float = 90.0,
    lower_quantile: float = 0.05,
    multiple: float = 1.0,
) -> np.ndarray:
    """The published risk_score of sql/072 (risk.rebuild_cell_risk), recomputed from unit x
    week counts (columns oldest first, the last the week before the origin) with unit
    severity: decayed mass O against E = city rate x area, a ring prior that leaves the unit
    out, the Gamma posterior's lower quantile, RR_lo / (k + RR_lo). Since issue 20 the score
    of a unit the model predicts is risk_score_from_model; this is the fallback (no model)."""
    observed, expected = decayed_expected(weekly, area, half_life_days)
    prior_o = ring_weights[0] * (ring1 @ observed) + ring_weights[1] * (ring2 @ observed)
    prior_e = ring_weights[0] * (ring1 @ expected) + ring_weights[1] * (ring2 @ expected)
    prior_rr = (prior_o + prior_strength) / (prior_e + prior_strength)
    shape = prior_strength + observed
    rate_param = prior_strength / prior_rr + expected
    rr_lower = stats.gamma.ppf(lower_quantile, shape, scale=1.0 / rate_param)
    return score_of(rr_lower, multiple)
