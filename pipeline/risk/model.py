"""The model that feeds the risk tables: the blend (pipeline/risk/blend.py) fitted per city at
risk.parameters.model_resolution on the unit x week matrix, its weights and predictions for
the week after the cutoff stored per version; plus the hour-of-week profile. Each city is
fitted on its own cells only, so adding a city changes none of another city's numbers."""

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
from pipeline.risk.study import h3_level, level_events, load_study, study_cities, week_grid
from pipeline.risk.weekly import WeekMatrix, data_start_week

log = logging.getLogger("halo.model")

FAMILY = (
    "poisson, identity link, non-negative weights, isotonic recalibration"
    " (fitted on the 26 weeks before)"
)
FORMULA = "observed ~ 0 + " + " + ".join(FEATURES)


@dataclass(frozen=True)
class FittedModel:
    """A city's fitted blend and its predictions for the week after the cutoff."""

    fit: BlendFit
    cells: list[str]
    predicted: np.ndarray
    resolution: int


def model_resolution(conn: psycopg.Connection) -> int:
    """The model's H3 resolution (risk.parameters.model_resolution)."""
    row = conn.execute("SELECT model_resolution FROM risk.parameters").fetchone()
    return int(row[0]) if row else 8


def fit_cities(conn: psycopg.Connection, cutoff: datetime) -> dict[str, FittedModel]:
    """Each city's blend (by city code), fitted on its own cells; one fit of the whole study
    area when no city has cells yet."""
    cities = study_cities(conn)
    if not cities:
        try:
            return {"all": fit_at_cutoff(conn, cutoff)}
        except ValueError as exc:
            raise ValueError(f"{exc} (no city has a study area yet: halo city add)") from exc
    return {code: fit_at_cutoff(conn, cutoff, city_id) for city_id, code in cities}


def fit_at_cutoff(
    conn: psycopg.Connection, cutoff: datetime, city_id: int | None = None
) -> FittedModel:
    """Fit on what was first seen by `cutoff` (in one city, or all); predict the week after."""
    resolution = model_resolution(conn)
    study = load_study(conn, city_id)
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
        fitted = fit_cities(conn, cutoff)
        version = f"blend-{cutoff:%Y%m%d}-r{run.id}"
        store_model(conn, version, run.id, cutoff, fitted)
        write_hour_profiles(conn, fit_hour_profiles(conn, cutoff))
        conn.commit()
        run.rows = sum(len(f.predicted) for f in fitted.values())
        run.details = {"model_version": version, "resolution": model_resolution(conn)}
    n_obs = sum(f.fit.n_obs for f in fitted.values())
    log.info("trained %s on %d cell-weeks in %d cities", version, n_obs, len(fitted))
    return version


def store_model(
    conn: psycopg.Connection,
    version: str,
    run_id: int,
    cutoff: datetime,
    fitted: dict[str, FittedModel],
) -> None:
    """Write the model run (each city's weights and recalibration, fit statistics) and the
    predictions of every city."""
    coefficients = {
        city: {name: {"coef": float(w)} for name, w in zip(FEATURES, f.fit.weights, strict=True)}
        for city, f in fitted.items()
    }
    n_obs = sum(f.fit.n_obs for f in fitted.values())
    total_deviance = sum(f.fit.deviance * f.fit.n_obs for f in fitted.values())
    fit = {
        "resolution": next(iter(fitted.values())).resolution,
        "train_mean_deviance": total_deviance / n_obs if n_obs else None,
        # Per city, the monotone recalibration (blend value -> expected count) after the weights.
        "calibration_knots": {
            city: [f.fit.knots_x.tolist(), f.fit.knots_y.tolist()] for city, f in fitted.items()
        },
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
            n_obs,
            total_deviance,
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
                for f in fitted.values()
                for cell, mu in zip(f.cells, f.predicted, strict=True)
            ],
        )
