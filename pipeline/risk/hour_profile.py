"""The city-wide hour-of-week profile: a Poisson GLMGam with a cyclic cubic spline."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import psycopg
import statsmodels.api as sm
from statsmodels.gam.api import CyclicCubicSplines, GLMGam

HOURS_PER_WEEK = 168
SPLINE_DF = 24
PENALTY = 1.0


def hour_of_week_counts(conn: psycopg.Connection, cutoff: datetime) -> np.ndarray:
    """Incidents by hour of the week (Stockholm time) in the two years before cutoff."""
    rows = conn.execute(
        "SELECT h.how, count(i.id) FROM generate_series(0, 167) AS h(how)"
        " LEFT JOIN raw.incidents i ON risk.hour_of_week(i.occurred_at) = h.how"
        "  AND i.occurred_at > %s - interval '2 years' AND i.occurred_at <= %s"
        "  AND i.category IN (SELECT code FROM ref.incident_categories WHERE counts_for_risk)"
        " GROUP BY h.how ORDER BY h.how",
        (cutoff, cutoff),
    ).fetchall()
    return np.array([n for _, n in rows], dtype=float)


def fit_hour_profile(conn: psycopg.Connection, cutoff: datetime) -> np.ndarray:
    """Relative rate per hour of the week (mean 1), smooth and periodic over the week."""
    counts = hour_of_week_counts(conn, cutoff)
    if counts.sum() == 0:
        return np.ones(HOURS_PER_WEEK)
    hours = np.arange(HOURS_PER_WEEK, dtype=float)
    # Cyclic: the curve's ends meet, so Sunday 23:00 flows into Monday 00:00 (the knots span
    # hours 0..167, one hour short of the full period: a negligible seam).
    splines = CyclicCubicSplines(np.column_stack([hours]), df=[SPLINE_DF], constraints="center")
    model = GLMGam(
        counts,
        exog=np.ones((HOURS_PER_WEEK, 1)),
        smoother=splines,
        alpha=PENALTY,
        family=sm.families.Poisson(),
    )
    fitted = np.asarray(model.fit().predict())
    return np.asarray(fitted / fitted.mean())


def write_hour_profile(conn: psycopg.Connection, profile: np.ndarray) -> None:
    """Replace the stored profile with the model's."""
    conn.execute("DELETE FROM risk.hour_of_week_profile")
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO risk.hour_of_week_profile (hour_of_week, factor, source)"
            " VALUES (%s, %s, 'model')",
            [(h, float(f)) for h, f in enumerate(profile)],
        )
