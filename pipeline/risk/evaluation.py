"""Forecast metrics: hit rate and PAI at an area share, calibration by decile."""

from __future__ import annotations

from typing import TypeVar

import numpy as np

T = TypeVar("T")


def hit_rate_at_area(
    predicted: np.ndarray, observed: np.ndarray, area: np.ndarray, area_share: float
) -> tuple[float, float]:
    """Observed events captured and area used when the units with the highest predicted
    density are taken up to `area_share` of the total area (the last unit in part).

    Returns (hits, area) in the units of `observed` and `area`.
    """
    order = np.argsort(-(predicted / area), kind="stable")
    target = area_share * area.sum()
    cum_area = np.cumsum(area[order])
    full = cum_area <= target
    hits = observed[order][full].sum()
    used = cum_area[full][-1] if full.any() else 0.0
    nxt = int(full.sum())
    if nxt < len(order) and used < target:
        fraction = (target - used) / area[order][nxt]
        hits += fraction * observed[order][nxt]
        used = target
    return float(hits), float(used)


def pooled_hit_rate_and_pai(
    folds: list[tuple[np.ndarray, np.ndarray, np.ndarray]], area_share: float
) -> tuple[float, float]:
    """Hit rate and PAI pooled over folds of (predicted, observed, area)."""
    hits = total = used = total_area = 0.0
    for predicted, observed, area in folds:
        h, a = hit_rate_at_area(predicted, observed, area, area_share)
        hits, used = hits + h, used + a
        total, total_area = total + observed.sum(), total_area + area.sum()
    if total <= 0 or used <= 0:
        return float("nan"), float("nan")
    hit_rate = hits / total
    return hit_rate, hit_rate / (used / total_area)


def calibration_by_decile(
    predicted: np.ndarray, observed: np.ndarray, groups: int = 10
) -> list[tuple[float, float]]:
    """(mean predicted, mean observed) per equal-count group of predictions, lowest first."""
    order = np.argsort(predicted, kind="stable")
    return [
        (float(predicted[idx].mean()), float(observed[idx].mean()))
        for idx in np.array_split(order, groups)
        if len(idx)
    ]


def jaccard(a: set[T], b: set[T]) -> float:
    """Overlap of two sets (1 when both are empty)."""
    union = a | b
    return len(a & b) / len(union) if union else 1.0
