"""Each city's hour-of-week profile: a Poisson GLMGam with a cyclic cubic spline, over the
city's incidents (risk.incident_city) by hour of the week in the city's own time zone."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import psycopg
import statsmodels.api as sm
from statsmodels.gam.api import CyclicCubicSplines, GLMGam

HOURS_PER_WEEK = 168
SPLINE_DF = 24
PENALTY = 1.0


def hour_of_week_counts(conn: psycopg.Connection, cutoff: datetime, city_id: int) -> np.ndarray:
    """A city's incidents by hour of the week (its local time) in the two years before cutoff."""
    rows = conn.execute(
        "SELECT h.how, count(i.id) FROM generate_series(0, 167) AS h(how)"
        " CROSS JOIN ref.cities c"
        " LEFT JOIN raw.incidents i"
        "  ON risk.hour_of_week(i.occurred_at, c.time_zone) = h.how"
        "  AND i.occurred_at > %s - interval '2 years' AND i.occurred_at <= %s"
        "  AND i.category IN (SELECT code FROM ref.incident_categories WHERE counts_for_risk)"
        "  AND risk.incident_city(i.source_id, i.h3_cell, i.district_id) = c.id"
        " WHERE c.id = %s GROUP BY h.how ORDER BY h.how",
        (cutoff, cutoff, city_id),
    ).fetchall()
    return np.array([n for _, n in rows], dtype=float)


def fit_hour_profiles(conn: psycopg.Connection, cutoff: datetime) -> dict[int, np.ndarray]:
    """Every city's profile, by city id."""
    cities = [row[0] for row in conn.execute("SELECT id FROM ref.cities ORDER BY id")]
    return {city: fit_hour_profile(hour_of_week_counts(conn, cutoff, city)) for city in cities}


def fit_hour_profile(counts: np.ndarray) -> np.ndarray:
    """Relative rate per hour of the week (mean 1), smooth and periodic over the week."""
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


def write_hour_profiles(conn: psycopg.Connection, profiles: dict[int, np.ndarray]) -> None:
    """Replace the stored profiles with the model's, city by city."""
    conn.execute("DELETE FROM risk.hour_of_week_profile")
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO risk.hour_of_week_profile (city_id, hour_of_week, factor, source)"
            " VALUES (%s, %s, %s, 'model')",
            [
                (city, h, float(f))
                for city, profile in profiles.items()
                for h, f in enumerate(profile)
            ],
        )
