"""The per-city alert rule in Python, mirroring sql/072 risk.choose_alert_multiples for the
backtest and the bench: a city's alert zones (risk_score >= alert_threshold) may cover at most
its ref.cities.alert_area of its area, so each refresh picks the city's reference multiple k
(risk_score = RR_lo / (k + RR_lo)) from a fixed ladder, with hysteresis.

The ladder, the relaxed share and the default cap are the SQL's risk.alert_multiples(),
risk.alert_area_relax() and ref.cities.alert_area's default; tests/test_alert_rule.py holds
them equal. Kept free of scipy so `halo city add` can import the default cheaply."""

from __future__ import annotations

import numpy as np

# Reference multiples k a city's score may use, smallest first: a fixed ladder (not a free
# quantile) keeps k, and so the alert zones, unchanged while the evidence moves less than a
# rung.
ALERT_MULTIPLES = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0)
# k falls back to a lower rung only when that rung's zones stay within this share of the cap.
ALERT_AREA_RELAX = 0.8
# The default cap: 5 % of the city's area (`halo city add --alert-area`).
DEFAULT_ALERT_AREA = 0.05


def score_of(rr_lower: np.ndarray, multiple: float = 1.0) -> np.ndarray:
    """risk.score_of: RR_lo / (k + RR_lo); 0.6 means RR_lo >= 1.5 k."""
    rr = np.maximum(np.asarray(rr_lower, dtype=float), 0.0)
    return np.asarray(rr / (max(multiple, 1.0) + rr))


def rr_lower_of(score: np.ndarray) -> np.ndarray:
    """RR_lo back from a score with k = 1 (score = RR_lo / (1 + RR_lo))."""
    score = np.asarray(score, dtype=float)
    return np.asarray(score / np.maximum(1.0 - score, 1e-12))


def alert_share(rr_lower: np.ndarray, area: np.ndarray, multiple: float, threshold: float) -> float:
    """Share of the area whose score with reference multiple k reaches the threshold."""
    alert = score_of(rr_lower, multiple) >= threshold
    return float(area[alert].sum() / area.sum()) if area.sum() > 0 else 0.0


def alert_multiple(
    levels: list[tuple[np.ndarray, np.ndarray]],
    threshold: float,
    cap: float = DEFAULT_ALERT_AREA,
    previous: float = 1.0,
) -> tuple[float, float]:
    """risk.choose_alert_multiples for one city: `levels` holds (RR_lo, area) per H3 level
    alerts are given on. The smallest rung of ALERT_MULTIPLES whose alert zones cover at most
    `cap` of the area at every level (the top rung when none does); falling below `previous`
    only as far as the smallest rung within ALERT_AREA_RELAX x cap. Returns (k, its share at
    the largest level)."""

    def share(k: float) -> float:
        return max((alert_share(rr, area, k, threshold) for rr, area in levels), default=0.0)

    shares = [share(k) for k in ALERT_MULTIPLES]
    rungs = list(zip(ALERT_MULTIPLES, shares, strict=True))
    within = next((k for k, s in rungs if s <= cap), ALERT_MULTIPLES[-1])
    relaxed = next((k for k, s in rungs if s <= cap * ALERT_AREA_RELAX), ALERT_MULTIPLES[-1])
    chosen = max(within, min(relaxed, previous))
    return chosen, share(chosen)
