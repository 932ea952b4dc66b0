"""The unit x week matrix every backtest and the blend model read: built once, then sliced
by origin. "Known at origin t" means first seen before week t started: an event that
happened before t but was first seen at or after t is subtracted (the late-event list), so
no origin ever trains on what it could not have known."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

WEEK_S = 7 * 24 * 3600.0
# Below this a window's count is the float noise of differences of cumulative sums (±1e-17),
# not an event share (the smallest share is ~1e-3): zero. Noise scaled up as a feature once
# made blend weights of 1e16.
NOISE = 1e-9


@dataclass(frozen=True)
class Units:
    """The units a forecast ranks (H3 cells of one resolution, or districts): names, area
    (km2) and the adjacency of their first and second rings (0/1 sparse matrices)."""

    names: list[str]
    area: np.ndarray
    ring1: sparse.csr_matrix
    ring2: sparse.csr_matrix

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class Events:
    """One row per (event, unit) share: the unit's index, the share (1 for a point),
    and the week indexes in which it happened and in which it was first seen."""

    unit: np.ndarray
    share: np.ndarray
    occurred_week: np.ndarray
    seen_week: np.ndarray


def week_index(times_epoch: np.ndarray, start_epoch: float) -> np.ndarray:
    """Week number of each time on the grid starting at start_epoch (week 0)."""
    return np.floor((times_epoch - start_epoch) / WEEK_S).astype(np.int64)


def ring_matrices(n: int, pairs: list[tuple[int, int, int]]) -> tuple[sparse.csr_matrix, ...]:
    """Ring-1 and ring-2 adjacency from (unit, neighbour, distance) triples."""
    out = []
    for distance in (1, 2):
        rows = [a for a, _b, d in pairs if d == distance]
        cols = [b for _a, b, d in pairs if d == distance]
        out.append(sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)))
    return tuple(out)


def second_ring(ring1: sparse.csr_matrix) -> sparse.csr_matrix:
    """Neighbours of neighbours that are neither the unit nor its first ring (districts)."""
    n = ring1.shape[0]
    reach = ((ring1 @ ring1) > 0).astype(float) - ring1 - sparse.identity(n)
    reach.data = (reach.data > 0).astype(float)
    reach.eliminate_zeros()
    return sparse.csr_matrix(reach)


class WeekMatrix:
    """Counts per unit and week (every event, whenever seen) and what was known when."""

    def __init__(self, units: Units, events: Events, n_weeks: int) -> None:
        keep = (events.occurred_week >= 0) & (events.occurred_week < n_weeks)
        unit, share = events.unit[keep], events.share[keep]
        occurred, seen = events.occurred_week[keep], events.seen_week[keep]
        self.units = units
        self.n_weeks = n_weeks
        self.counts = np.zeros((len(units), n_weeks))
        np.add.at(self.counts, (unit, occurred), share)
        self.cum = np.concatenate([np.zeros((len(units), 1)), self.counts.cumsum(axis=1)], 1)
        late = seen > occurred
        self.late_unit, self.late_share = unit[late], share[late]
        self.late_occurred, self.late_seen = occurred[late], seen[late]

    def window(self, first: int, stop: int, origin: int) -> np.ndarray:
        """Per unit, events that happened in weeks [first, stop) and were first seen before
        week `origin` began."""
        first, stop = max(first, 0), max(min(stop, self.n_weeks), 0)
        if stop <= first:
            return np.zeros(len(self.units))
        total = self.cum[:, stop] - self.cum[:, first]
        unseen = (
            (self.late_occurred >= first) & (self.late_occurred < stop) & (self.late_seen >= origin)
        )
        if unseen.any():
            total = total - np.bincount(
                self.late_unit[unseen], self.late_share[unseen], minlength=len(self.units)
            )
        return np.where(total > NOISE, total, 0.0)

    def block(self, first: int, stop: int, origin: int) -> np.ndarray:
        """Units x weeks [first, stop) (clipped to the grid) of what was first seen before
        week `origin` began."""
        first, stop = max(first, 0), max(min(stop, self.n_weeks), 0)
        out = self.counts[:, first:stop].copy()
        unseen = (
            (self.late_occurred >= first) & (self.late_occurred < stop) & (self.late_seen >= origin)
        )
        if unseen.any():
            np.add.at(
                out,
                (self.late_unit[unseen], self.late_occurred[unseen] - first),
                -self.late_share[unseen],
            )
        return np.where(out > NOISE, out, 0.0)

    def observed(self, week: int) -> np.ndarray:
        """What happened in a week, whenever it was first seen (the test target)."""
        return self.counts[:, week]

    def weekly_totals(self) -> np.ndarray:
        """City-wide count per week (every event)."""
        return np.asarray(self.counts.sum(axis=0))


SUSTAINED_WEEKS = 4


def data_start_week(weekly_totals: np.ndarray) -> int:
    """The first week from which the city total stays at a quarter of the median busy week
    or more for SUSTAINED_WEEKS weeks: before it an archive is empty or sparse (the polisen
    archive: a few events a month for half a year, one week of four), and training on it would
    teach "no history, nothing"."""
    busy = weekly_totals[weekly_totals > 0]
    if busy.size == 0:
        return 0
    reached = weekly_totals >= 0.25 * np.median(busy)
    if reached.size < SUSTAINED_WEEKS:
        return int(np.argmax(reached))
    runs = np.lib.stride_tricks.sliding_window_view(reached, SUSTAINED_WEEKS).all(axis=1)
    return int(np.argmax(runs)) if runs.any() else int(np.argmax(reached))
