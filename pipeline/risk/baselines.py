"""The baselines every backtest runs beside the model: uniform by area, last-52-week counts,
and a ring kernel density (the last 52 weeks smoothed over H3 neighbour rings)."""

from __future__ import annotations

import numpy as np

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
