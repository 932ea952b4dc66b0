"""The model that feeds the risk tables: the blend (pipeline/risk/blend.py) fitted per city at
risk.parameters.model_resolution on the unit x week matrix, its weights and predictions for
the week after the cutoff stored per version; plus the hour-of-week profile."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import psycopg

from pipeline.jobs import recorded_job
from pipeline.risk.blend import FEATURES, BlendFeatures, BlendFit, fit_blend
from pipeline.risk.hour_profile import fit_hour_profiles, write_hour_profiles
from pipeline.risk.study import h3_level, level_events, load_study, week_grid
from pipeline.risk.weekly import WeekMatrix, data_start_week

log = logging.getLogger("halo.model")

FAMILY = (
    "poisson, identity link, non-negative weights, isotonic recalibration"
    " (fitted on the 26 weeks before)"
)
FORMULA = "observed ~ 0 + " + " + ".join(FEATURES)


@dataclass(frozen=True)
class FittedModel:
    """A fitted blend and its predictions for the week after the cutoff."""

    fit: BlendFit
    cells: list[str]
    predicted: np.ndarray
    resolution: int


def model_resolution(conn: psycopg.Connection) -> int:
    """The model's H3 resolution (risk.parameters.model_resolution)."""
    row = conn.execute("SELECT model_resolution FROM risk.parameters").fetchone()
    return int(row[0]) if row else 8


def fit_at_cutoff(conn: psycopg.Connection, cutoff: datetime) -> FittedModel:
    """Fit on what was first seen by `cutoff`; predict the week after it."""
    resolution = model_resolution(conn)
    study = load_study(conn)
    level = h3_level(conn, study, resolution)
    start, n_weeks = week_grid(study, cutoff)
    matrix = WeekMatrix(level.units, level_events(study, level, start), n_weeks)
    features = BlendFeatures(matrix, data_start_week(matrix.weekly_totals()))
    fit = fit_blend(features, n_weeks)
    predicted = fit.predict(features.at(n_weeks), level.units.area)
    return FittedModel(fit, level.units.names, predicted, resolution)


def current_cutoff(conn: psycopg.Connection) -> datetime:
    """The as-of time of the data: now, or the last first-seen time if the data is older."""
    row = conn.execute(
        "SELECT coalesce(least(now(), max(first_seen_at)), now()) FROM raw.incidents"
    ).fetchone()
    assert row is not None
    cutoff: datetime = row[0]
    return cutoff


def retrain(owner_url: str, cutoff: datetime | None = None) -> str:
    """Train the blend and the hour-of-week profile; store run, weights and predictions."""
    with recorded_job(owner_url, "retrain") as run, psycopg.connect(owner_url) as conn:
        cutoff = cutoff or current_cutoff(conn)
        fitted = fit_at_cutoff(conn, cutoff)
        version = f"blend-{cutoff:%Y%m%d}-r{run.id}"
        store_model(conn, version, run.id, cutoff, fitted)
        write_hour_profiles(conn, fit_hour_profiles(conn, cutoff))
        conn.commit()
        run.rows = len(fitted.predicted)
        run.details = {"model_version": version, "resolution": fitted.resolution}
    log.info("trained %s on %d cell-weeks", version, fitted.fit.n_obs)
    return version


def store_model(
    conn: psycopg.Connection, version: str, run_id: int, cutoff: datetime, fitted: FittedModel
) -> None:
    """Write the model run (weights, fit statistics) and its predictions."""
    coefficients = {
        name: {"coef": float(w)} for name, w in zip(FEATURES, fitted.fit.weights, strict=True)
    }
    fit = {
        "resolution": fitted.resolution,
        "train_mean_deviance": fitted.fit.deviance,
        # The monotone recalibration (blend value -> expected count) applied after the weights.
        "calibration_knots": [fitted.fit.knots_x.tolist(), fitted.fit.knots_y.tolist()],
    }
    conn.execute(
        "INSERT INTO risk.model_runs (version, job_run_id, as_of, family, formula, n_obs, aic,"
        " deviance, pearson_chi2, coefficients, fit)"
        " VALUES (%s, %s, %s, %s, %s, %s, NULL, %s, NULL, %s::jsonb, %s::jsonb)",
        (
            version,
            run_id,
            cutoff,
            FAMILY,
            FORMULA,
            fitted.fit.n_obs,
            fitted.fit.deviance * fitted.fit.n_obs,
            json.dumps(coefficients),
            json.dumps(fit),
        ),
    )
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO risk.model_predictions (cell, week_start, expected_count, model_version)"
            " VALUES (%s::h3index, %s, %s, %s)",
            [
                (cell, cutoff, float(mu), version)
                for cell, mu in zip(fitted.cells, fitted.predicted, strict=True)
            ],
        )
