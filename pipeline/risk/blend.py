"""The blend model: next week's count per unit as a non-negative mix of rates Halo already
knows at the origin — the unit's long-run, last-year, last-quarter and last-month weekly rates,
the long-run rates of its first and second rings, and the city rate spread by area — with the
weights fitted per city by Poisson likelihood on the weeks just before the origin, then a
monotone recalibration fitted on a longer run of them (see `fit_calibration`).

It is empirical Bayes in its simplest honest form: where a unit's own history is thin the
fit leans on its rings and the city rate (shrinkage), where it is dense on its own counts,
and the weights come from past origins only (each origin refits; nothing after it is read).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse

from pipeline.risk.weekly import WeekMatrix

FEATURES = ("long_run", "last52", "last13", "last4", "ring1_long", "ring2_long", "city_by_area")
LONG_RUN_WEEKS = 156
TRAIN_WEEKS = 26
MIN_HISTORY_WEEKS = 13
CALIBRATION_BINS = 50
CALIBRATION_WEEKS = 52


def _row_mean(adjacency: sparse.csr_matrix) -> sparse.csr_matrix:
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    scale = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
    return sparse.csr_matrix(sparse.diags(scale) @ adjacency)


@dataclass
class BlendFeatures:
    """Features of every unit as known at an origin, cached per origin week."""

    matrix: WeekMatrix
    data_start: int

    def __post_init__(self) -> None:
        self._ring1 = _row_mean(self.matrix.units.ring1)
        self._ring2 = _row_mean(self.matrix.units.ring2)
        self._area_share = self.matrix.units.area / self.matrix.units.area.sum()
        self._cache: dict[int, np.ndarray] = {}
        self.last_weights: np.ndarray | None = None

    def at(self, origin: int) -> np.ndarray:
        """Design (units x FEATURES) from what was first seen before week `origin`."""
        if origin not in self._cache:
            self._cache[origin] = self._compute(origin)
        return self._cache[origin]

    def _rate(self, weeks: int, origin: int) -> np.ndarray:
        span = max(min(weeks, origin - self.data_start), 1)
        return self.matrix.window(origin - span, origin, origin) / span

    def _compute(self, origin: int) -> np.ndarray:
        long_run = self._rate(LONG_RUN_WEEKS, origin)
        last52 = self._rate(52, origin)
        return np.column_stack(
            [
                long_run,
                last52,
                self._rate(13, origin),
                self._rate(4, origin),
                self._ring1 @ long_run,
                self._ring2 @ long_run,
                last52.sum() * self._area_share,
            ]
        )


@dataclass(frozen=True)
class BlendFit:
    """Fitted weights (per FEATURES), the monotone recalibration of the blend (knots: blend
    density -> expected density, per km2), and the number of unit-weeks they were fitted on."""

    weights: np.ndarray
    n_obs: int
    deviance: float
    knots_x: np.ndarray
    knots_y: np.ndarray

    def predict(self, design: np.ndarray, area: np.ndarray) -> np.ndarray:
        """Expected count per unit (of the given areas, km2) for the week after the design's
        origin."""
        blend = np.asarray(design @ self.weights)
        return np.asarray(area * apply_calibration(blend / area, self.knots_x, self.knots_y))


def monotone_calibration(
    predicted: np.ndarray, observed: np.ndarray, area: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Knots of a strictly increasing map from the blend's density (per km2) to the expected
    density: area-weighted isotonic (pool-adjacent-violators) regression of the observed
    density on the blend's over the training unit-weeks, one knot per pooled block at its
    mean. A linear blend regresses to the mean less than counts do (dense resolution 9: the
    low-middle deciles under-predicted by 44 %); the map corrects the levels without changing
    the ranking by density (strictly increasing between knots, so no two units it separated
    are tied; districts of unequal area keep their order too)."""
    x = predicted / area
    # Pool into bins of CALIBRATION_BINS equal shares of the unit-weeks first (equal blend
    # values stay in one bin): pooling adjacent violators over single unit-weeks biases the
    # end blocks (the lowest toward its few zeros), and a bin is what the deciles test. Each
    # bin starts at one of the interior quantile values; found by selection, not a full sort.
    ranks = np.linspace(0, len(x) - 1, CALIBRATION_BINS + 1).astype(int)[1:-1]
    edges = np.unique(np.partition(x, ranks)[ranks])
    index = np.searchsorted(edges, x, side="right")
    bin_area = np.bincount(index, area, len(edges) + 1)
    used = bin_area > 0
    bin_area = bin_area[used]
    values = np.bincount(index, x * area, len(edges) + 1)[used] / bin_area
    rates = np.bincount(index, observed, len(edges) + 1)[used] / bin_area
    fitted = optimize.isotonic_regression(rates, weights=bin_area).x
    # One knot per block of equal fitted value, at the block's area-weighted mean density.
    block = np.concatenate([[0], np.cumsum(np.diff(fitted) > 1e-12)])
    weight = np.bincount(block, bin_area)
    knots_x = np.bincount(block, values * bin_area) / weight
    knots_y = np.bincount(block, fitted * bin_area) / weight
    return knots_x, knots_y


def apply_calibration(blend: np.ndarray, knots_x: np.ndarray, knots_y: np.ndarray) -> np.ndarray:
    """The knots' piecewise-linear map; beyond the last knot, the last knot's ratio (a unit
    hotter than any in training keeps its lead); below the first, proportional to zero."""
    if knots_x.size < 2:
        return blend
    inside = np.interp(blend, knots_x, knots_y)
    top = knots_y[-1] / knots_x[-1] if knots_x[-1] > 0 else 1.0
    low = knots_y[0] / knots_x[0] if knots_x[0] > 0 else 1.0
    out = np.where(blend > knots_x[-1], blend * top, inside)
    return np.asarray(np.where(blend < knots_x[0], blend * low, out))


def training_weeks(features: BlendFeatures, origin: int, weeks: int) -> range:
    """The last `weeks` weeks before `origin`; a short history (a new deployment) trains on
    its second half rather than not at all."""
    history = origin - features.data_start
    first = max(origin - weeks, features.data_start + min(MIN_HISTORY_WEEKS, history // 2))
    return range(max(first, features.data_start + 1), origin)


def weekly_rows(
    features: BlendFeatures, weeks: range, origin: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(design, target, area) over `weeks`, week by week: for each week w, the features as
    known at w against w's count as known at `origin` (never later)."""
    design = np.vstack([features.at(w) for w in weeks])
    target = features.matrix.block(weeks.start, weeks.stop, origin).T.ravel()
    return design, target, np.tile(features.matrix.units.area, len(weeks))


def fit_blend(features: BlendFeatures, origin: int, train_weeks: int = TRAIN_WEEKS) -> BlendFit:
    """Fit the weights on the `train_weeks` weeks before `origin`, then the recalibration."""
    weeks = training_weeks(features, origin, train_weeks)
    if len(weeks) == 0:
        raise ValueError("too little located history before the origin to train on")
    # The rows are read once: the recalibration's weeks end with the training weeks.
    all_design, all_target, all_area = weekly_rows(
        features, calibration_weeks(features, origin, weeks), origin
    )
    recent = slice(len(all_target) - len(weeks) * len(features.matrix.units), None)
    design, target, area = all_design[recent], all_target[recent], all_area[recent]
    if target.sum() <= 0:
        raise ValueError("too little located history before the origin to train on")
    # A feature never known over the training weeks has no weight to learn: held at 0 (left
    # free, the fit would push it anywhere, and its first value at an origin with it).
    alive = design.max(axis=0) > 0
    if not alive.any():
        return long_run_fit(target, design, area)
    scale = np.where(alive, design.mean(axis=0), 1.0)
    x = design / scale
    # Only the unit-weeks with events enter the log term; the linear term is a column sum.
    seen = target > 0
    x_seen, y_seen, column_sums = x[seen], target[seen], x.sum(axis=0)

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        mu_seen = np.maximum(x_seen @ beta, 1e-12)
        value = float(column_sums @ beta - y_seen @ np.log(mu_seen))
        return value, column_sums - x_seen.T @ (y_seen / mu_seen)

    # Warm start from the previous origin's weights (consecutive origins barely differ).
    if features.last_weights is not None:
        start = np.maximum(features.last_weights * scale, 1e-6)
    else:
        start = np.full(x.shape[1], target.mean() / max(x.mean(axis=0).sum(), 1e-12))
    bounds = [(0.0, None) if known else (0.0, 0.0) for known in alive]
    result = optimize.minimize(
        loss, np.where(alive, start, 0.0), jac=True, method="L-BFGS-B", bounds=bounds
    )
    weights = result.x / scale
    features.last_weights = weights
    # einsum, not a BLAS product: on shared cores a threaded product over some 80k rows cost
    # more than it saved (104 dense Vancouver origins: 4.9 s wall, 2.8 s with einsum).
    blend = np.einsum("ij,j->i", all_design, weights)
    knots_x, knots_y = fit_calibration(blend, all_target, all_area, recent)
    fit = BlendFit(weights, int(target.size), 0.0, knots_x, knots_y)
    deviance = poisson_deviance(target, fit.predict(design, area))
    return BlendFit(weights, int(target.size), deviance, knots_x, knots_y)


def calibration_weeks(features: BlendFeatures, origin: int, train: range) -> range:
    """The recalibration's weeks: up to CALIBRATION_WEEKS before `origin`, reaching back past
    the training weeks `train` only into weeks whose long-run window was already full (a
    younger week's features are noisier than the origin's, and a map fitted on them is too
    flat: in a synthetic stationary city, 104 weeks from the start over-predicted the middle
    deciles by 15-25 %)."""
    full_history = features.data_start + LONG_RUN_WEEKS
    return range(min(max(origin - CALIBRATION_WEEKS, full_history), train.start), origin)


def fit_calibration(
    blend: np.ndarray, target: np.ndarray, area: np.ndarray, recent: slice
) -> tuple[np.ndarray, np.ndarray]:
    """The monotone map for the blend over the recalibration's unit-weeks: its shape fitted on
    all of them, its level on the `recent` ones (the training weeks).

    Why longer than the weights' 26 weeks: at a sparse city's low end a bin of 26 weeks holds
    about one event, so each origin's map there is mostly noise, and ranking every origin's
    forecasts together sorts that noise into the lowest deciles (thinned Vancouver res 9,
    299 origins: the third decile observed 1.29x its forecast; with 52 weeks 1.12x). Why the
    level from the training weeks: a 52-week level lags a trend (totals 0.97 on the last 104
    thinned origins; re-levelled 1.00)."""
    knots_x, knots_y = monotone_calibration(blend, target, area)
    if recent.start == 0 or knots_x.size < 2:
        return knots_x, knots_y
    mapped = area[recent] * apply_calibration(blend[recent] / area[recent], knots_x, knots_y)
    # Bounded: a level that moved more than that in half a year is an import, not a trend.
    level = np.clip(target[recent].sum() / max(mapped.sum(), 1e-12), 0.5, 2.0)
    return knots_x, knots_y * level


def long_run_fit(target: np.ndarray, design: np.ndarray, area: np.ndarray) -> BlendFit:
    """The model when no feature was known in any training week (an archive whose events
    were all first seen after them): each unit's long-run rate as known at the origin, not
    recalibrated. Nothing to learn weights from is no reason for a forecast of nothing."""
    weights = np.zeros(len(FEATURES))
    weights[FEATURES.index("long_run")] = 1.0
    none = np.array([])
    deviance = poisson_deviance(target, design @ weights)
    return BlendFit(weights, int(target.size), deviance, none, none)


def poisson_deviance(observed: np.ndarray, predicted: np.ndarray) -> float:
    """Mean Poisson deviance per unit-week (predictions floored at 1e-9)."""
    mu = np.maximum(predicted, 1e-9)
    term = np.where(observed > 0, observed * np.log(np.maximum(observed, 1e-300) / mu), 0.0)
    return float(2.0 * np.mean(term - (observed - mu)))
