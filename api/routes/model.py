"""The risk model: queue the nightly retrain (admin) and read its backtest metrics (analyst)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from psycopg.rows import dict_row
from pydantic import BaseModel

from api.deps import Conn
from api.errors import KEY_RESPONSES
from api.security import AdminKey, AnalystKey

router = APIRouter(tags=["model"], responses=KEY_RESPONSES)


class TriggerAnswer(BaseModel):
    """The answer to a retrain trigger."""

    status: Literal["success"]
    message: str
    run_id: int
    queued: bool


@router.post("/api/v1/admin/retrain/trigger", summary="Queue the nightly pipeline now")
async def trigger_retrain(_key: AdminKey, conn: Conn) -> TriggerAnswer:
    """Queue retrain -> refresh -> backtest for the scheduler; one run at a time."""
    cur = await conn.execute("SELECT run_id, queued FROM ops.request_nightly_run()")
    row = await cur.fetchone()
    assert row is not None
    run_id, queued = row
    message = (
        f"retrain queued as run {run_id}; the scheduler starts it within seconds"
        if queued
        else f"a nightly run is already queued or running (run {run_id})"
    )
    return TriggerAnswer(status="success", message=message, run_id=run_id, queued=queued)


class ModelMetrics(BaseModel):
    """The latest trained model and its backtest."""

    model_version: str | None
    trained_at: datetime | None
    family: str | None
    fit: dict[str, Any]
    backtest: list[dict[str, Any]]
    comparison: list[dict[str, Any]]


LATEST_MODEL_SQL = """
SELECT version, trained_at, family,
       jsonb_build_object('n_obs', n_obs, 'aic', aic, 'deviance', deviance,
                          'pearson_chi2', pearson_chi2) || fit AS fit
  FROM risk.model_runs ORDER BY trained_at DESC LIMIT 1
"""
BACKTEST_SQL = """
SELECT city, level, method, metric, area_pct, value, computed_at
  FROM risk.backtest_results WHERE model_version = %s
 ORDER BY city, level, method, metric, area_pct
"""


# The headline figures of every city, level and method side by side (as analytics.model_comparison,
# which the API role cannot read: it reads risk.backtest_results only).
COMPARISON_SQL = """
SELECT city, level, method,
       max(value) FILTER (WHERE metric = 'pai' AND area_pct = 5) AS pai_5,
       max(value) FILTER (WHERE metric = 'hit_rate' AND area_pct = 5) AS hit_rate_5,
       max(value) FILTER (WHERE metric = 'deviance') AS deviance,
       max(value) FILTER (WHERE metric = 'predicted_total')
       / nullif(max(value) FILTER (WHERE metric = 'observed_total'), 0)
           AS predicted_over_observed,
       max(value) FILTER (WHERE metric = 'calibration_worst_decile')
           AS calibration_worst_decile,
       max(value) FILTER (WHERE metric = 'alert_area_share') AS alert_area_share,
       max(value) FILTER (WHERE metric = 'alert_jaccard_week_to_week')
           AS alert_jaccard_week_to_week,
       max(value) FILTER (WHERE metric = 'alert_jaccard_day_to_day')
           AS alert_jaccard_day_to_day
  FROM risk.backtest_results WHERE model_version = %s
 GROUP BY city, level, method ORDER BY city, level, method
"""


@router.get("/api/v1/model/metrics", summary="The latest model and its backtest metrics")
async def model_metrics(_key: AnalystKey, conn: Conn) -> ModelMetrics:
    """Fit statistics and rolling-origin backtest (model and baselines) of the latest model:
    every metric row, and the headline figures of each level and method side by side."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(LATEST_MODEL_SQL)
    model = await cur.fetchone()
    if model is None:
        return ModelMetrics(
            model_version=None, trained_at=None, family=None, fit={}, backtest=[], comparison=[]
        )
    await cur.execute(BACKTEST_SQL, (model["version"],))
    backtest = list(await cur.fetchall())
    await cur.execute(COMPARISON_SQL, (model["version"],))
    return ModelMetrics(
        model_version=model["version"],
        trained_at=model["trained_at"],
        family=model["family"],
        fit=model["fit"],
        backtest=backtest,
        comparison=list(await cur.fetchall()),
    )
