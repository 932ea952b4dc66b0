"""The statsmodels model: a Poisson GLM on cell x week counts (quasi-likelihood scale),
area as offset, features from SQL; its predictions feed the risk tables."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import psycopg
import statsmodels.api as sm

from pipeline.jobs import recorded_job
from pipeline.risk.features import FEATURE_NAMES, CellWeeks, read_cell_weeks, split_train_predict
from pipeline.risk.hour_profile import fit_hour_profile, write_hour_profile
from pipeline.risk.refresh import rebuild_study_area

log = logging.getLogger("halo.model")

HISTORY_WEEKS = 104
FAMILY = "poisson (quasi-likelihood, Pearson scale)"
FORMULA = "observed ~ " + " + ".join(FEATURE_NAMES[1:]) + " + offset(log(area_km2))"


@dataclass(frozen=True)
class FittedModel:
    """A fitted GLM and its predictions for the week after the cutoff."""

    result: sm.GLM
    predicted: np.ndarray
    target: CellWeeks


def fit_and_predict(data: CellWeeks, n_weeks: int) -> FittedModel:
    """Fit on the observed weeks and predict the week after the cutoff."""
    train, target = split_train_predict(data, n_weeks)
    if len(train.observed) == 0 or train.observed.sum() <= 0:
        raise ValueError("too little located history before the cutoff to train on")
    model = sm.GLM(
        train.observed,
        train.design,
        family=sm.families.Poisson(),
        offset=np.log(train.area_km2),
    )
    result = model.fit(scale="X2")
    predicted = result.predict(target.design, offset=np.log(target.area_km2))
    return FittedModel(result, np.asarray(predicted), target)


def current_cutoff(conn: psycopg.Connection) -> datetime:
    """The as-of time of the data: now, or the last first-seen time if the data is older."""
    row = conn.execute(
        "SELECT coalesce(least(now(), max(first_seen_at)), now()) FROM raw.incidents"
    ).fetchone()
    assert row is not None
    cutoff: datetime = row[0]
    return cutoff


def retrain(owner_url: str, cutoff: datetime | None = None) -> str:
    """Train the GLM and the hour-of-week profile; store run, coefficients and predictions."""
    with recorded_job(owner_url, "retrain") as run, psycopg.connect(owner_url) as conn:
        cutoff = cutoff or current_cutoff(conn)
        rebuild_study_area(conn)
        fitted = fit_and_predict(read_cell_weeks(conn, cutoff, HISTORY_WEEKS), HISTORY_WEEKS)
        version = f"glm-{cutoff:%Y%m%d}-r{run.id}"
        store_model(conn, version, run.id, cutoff, fitted)
        profile = fit_hour_profile(conn, cutoff)
        write_hour_profile(conn, profile)
        conn.commit()
        run.rows = len(fitted.predicted)
        run.details = {"model_version": version, "aic": fitted.result.aic}
    log.info("trained %s on %d cell-weeks", version, int(fitted.result.nobs))
    return version


def store_model(
    conn: psycopg.Connection, version: str, run_id: int, cutoff: datetime, fitted: FittedModel
) -> None:
    """Write the model run (coefficients, fit statistics) and its predictions."""
    result = fitted.result
    coefficients = {
        name: {"coef": float(c), "se": float(s), "p": float(p)}
        for name, c, s, p in zip(
            FEATURE_NAMES, result.params, result.bse, result.pvalues, strict=True
        )
    }
    fit = {"dispersion": float(result.scale), "df_resid": float(result.df_resid)}
    conn.execute(
        "INSERT INTO risk.model_runs (version, job_run_id, as_of, family, formula, n_obs, aic,"
        " deviance, pearson_chi2, coefficients, fit)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb)",
        (
            version,
            run_id,
            cutoff,
            FAMILY,
            FORMULA,
            int(result.nobs),
            _finite(result.aic),
            float(result.deviance),
            float(result.pearson_chi2),
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
                for cell, mu in zip(fitted.target.cells, fitted.predicted, strict=True)
            ],
        )


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
