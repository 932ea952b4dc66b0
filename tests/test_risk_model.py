"""The blend model, the backtest and the nightly pipeline on a synthetic city."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import numpy as np
import psycopg
import pytest
from scipy import stats

from config.settings import Settings
from pipeline.jobs import JobAlreadyRunning, exclusive
from pipeline.nightly import _queued_run, run_nightly
from pipeline.risk.backtest import format_report, run_backtest
from pipeline.risk.blend import FEATURES
from pipeline.risk.model import retrain
from tests.support.dbtools import DatabaseFactory, ScratchDatabase, settings_for
from tests.support.halo_cli import db_env, halo
from tests.support.live_server import live_server
from tests.support.opstools import api_key
from tests.support.synthetic_city import (
    AS_OF,
    add_hotspot_history,
    add_point,
    add_test_city,
    make_city,
)

FRIDAY_22H = 4 * 24 + 22


@pytest.fixture(scope="module")
def history_template(
    db_factory: DatabaseFactory, template_db: ScratchDatabase
) -> Iterator[ScratchDatabase]:
    """A migrated database with the synthetic city and 80 weeks of incidents, built once."""
    built = db_factory.create(template=template_db.name, suffix="risk_history")
    with psycopg.connect(built.owner_url) as conn:
        make_city(conn)
        add_hotspot_history(conn, weeks=80)
        # A Friday-night peak for the hour-of-week profile: Fri 22:30 Stockholm = 20:30 UTC.
        friday = AS_OF - timedelta(days=(AS_OF.weekday() - 4) % 7)
        for week in range(1, 60):
            when = friday.replace(hour=20, minute=30) - timedelta(weeks=week)
            for k in range(3):
                add_point(conn, f"fri{week}-{k}", 18.07 + 0.003 * k, 59.325, when)
    yield built
    db_factory.drop(built.name)


@pytest.fixture
def history(
    db_factory: DatabaseFactory, history_template: ScratchDatabase
) -> Iterator[ScratchDatabase]:
    clone = db_factory.create(template=history_template.name)
    yield clone
    db_factory.drop(clone.name)


@pytest.fixture
def history_api(settings: Settings, history: ScratchDatabase) -> Iterator[httpx.Client]:
    with live_server(settings_for(settings, history)) as client:
        yield client


def test_retrain_stores_the_model_and_predicts_every_cell(history: ScratchDatabase) -> None:
    with psycopg.connect(history.owner_url) as conn:
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        conn.commit()
    version = retrain(history.owner_url, AS_OF)
    with psycopg.connect(history.owner_url) as conn:
        coefficients, n_obs = conn.execute(
            "SELECT coefficients, n_obs FROM risk.model_runs WHERE version = %s", (version,)
        ).fetchone()
        predictions = conn.execute(
            "SELECT cell::text, expected_count FROM risk.model_predictions"
            " WHERE model_version = %s ORDER BY expected_count DESC",
            (version,),
        ).fetchall()
        cells8 = conn.execute("SELECT count(*) FROM risk.cells WHERE resolution = 8").fetchone()
        hot8 = conn.execute(
            "SELECT h3_lat_lng_to_cell(ST_SetSRID(ST_Point(18.062, 59.331), 4326), 8)::text"
        ).fetchone()
    assert len(coefficients) == 1  # one city, fitted on its own cells
    assert set(next(iter(coefficients.values()))) == set(FEATURES)
    assert n_obs == 26 * cells8[0]  # the 26 weeks before the cutoff, every cell
    assert len(predictions) == cells8[0]
    assert predictions[0][0] == hot8[0]
    weekly_total = sum(p for _, p in predictions)
    assert 8 < weekly_total < 25  # about 12 located incidents a week (+3 on Friday nights)


def test_the_model_runs_at_the_resolution_of_its_parameter(history: ScratchDatabase) -> None:
    with psycopg.connect(history.owner_url) as conn:
        conn.execute("UPDATE risk.parameters SET model_resolution = 9")
        conn.commit()
    version = retrain(history.owner_url, AS_OF)
    with psycopg.connect(history.owner_url) as conn:
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        resolutions = conn.execute(
            "SELECT DISTINCT h3_get_resolution(cell) FROM risk.model_predictions"
            " WHERE model_version = %s",
            (version,),
        ).fetchall()
        counts = conn.execute(
            "SELECT resolution, count(*) FILTER (WHERE expected_week IS NOT NULL), count(*),"
            " sum(expected_week) FROM risk.cell_risk GROUP BY resolution ORDER BY resolution"
        ).fetchall()
        predicted = conn.execute(
            "SELECT sum(expected_count) FROM risk.model_predictions WHERE model_version = %s",
            (version,),
        ).fetchone()
    assert resolutions == [(9,)]
    # Every cell of every resolution gets its share; each resolution sums to the same week.
    for _resolution, with_prediction, total, week in counts:
        assert with_prediction == total
        assert week == pytest.approx(predicted[0], rel=1e-3)


def test_the_published_score_ranks_as_the_model_does(history: ScratchDatabase) -> None:
    with psycopg.connect(history.owner_url) as conn:
        conn.execute("UPDATE risk.parameters SET model_resolution = 9")
        conn.commit()
    retrain(history.owner_url, AS_OF)
    with psycopg.connect(history.owner_url) as conn:
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        cells = conn.execute(
            "SELECT expected_week / area_km2, risk_score, observed, relative_risk"
            " FROM risk.cell_risk WHERE resolution = 9 AND expected_week > 0"
        ).fetchall()
        districts = conn.execute(
            "SELECT r.expected_week / d.area_km2, r.risk_score FROM risk.district_risk r"
            " JOIN ref.districts d ON d.id = r.district_id WHERE r.expected_week > 0"
        ).fetchall()
    density, score, observed, rr = (np.array(c, dtype=float) for c in zip(*cells, strict=True))
    # Cells of (nearly) one area: the score follows the model's density, not the raw count.
    assert stats.spearmanr(density, score).statistic > 0.99
    assert stats.spearmanr(observed, score).statistic < stats.spearmanr(density, score).statistic
    # The hot spot's relative risk is the model's against its own city rate: well above 1.
    assert rr[np.argmax(density)] > 2
    assert stats.spearmanr(*zip(*districts, strict=True)).statistic > 0.9


def test_the_district_risk_refuses_to_run_without_the_cell_mass_hand_off(
    history: ScratchDatabase,
) -> None:
    with psycopg.connect(history.owner_url) as conn:
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="rebuild_cell_mass"):
            conn.execute("SELECT risk.rebuild_district_risk()")
        conn.rollback()
        conn.execute("SELECT risk.rebuild_cells(base_resolution) FROM risk.parameters")
        conn.execute("SELECT risk.rebuild_cell_mass(%s)", (AS_OF,))
        conn.execute("SELECT risk.rebuild_cell_risk(NULL)")
        assert conn.execute("SELECT risk.rebuild_district_risk()").fetchone()[0] > 0


def test_the_hour_of_week_profile_finds_the_friday_night_peak(history: ScratchDatabase) -> None:
    with psycopg.connect(history.owner_url) as conn:
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        conn.commit()
    retrain(history.owner_url, AS_OF)
    with psycopg.connect(history.owner_url) as conn:
        rows = conn.execute(
            "SELECT hour_of_week, factor, source FROM risk.hour_of_week_profile ORDER BY 1"
        ).fetchall()
    factors = np.array([f for _, f, _ in rows])
    assert len(rows) == 168 and {s for *_, s in rows} == {"model"}
    assert factors.mean() == pytest.approx(1.0, abs=1e-3)
    assert abs(int(np.argmax(factors)) - FRIDAY_22H) <= 2
    assert factors.max() > 1.5


def test_backtest_rates_the_model_beside_the_baselines(history: ScratchDatabase) -> None:
    with psycopg.connect(history.owner_url) as conn:
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        conn.commit()
    reports = {r.city: r for r in run_backtest(history.owner_url, 4, progress=False, end=AS_OF)}
    # The city's folds, and the SQL alert zones of every city ('all').
    assert set(reports) == {"stockholm", "all"}
    report = reports["stockholm"]
    methods = {(level, method) for level, method, *_ in report.rows}
    for level in ("district", "h3_9", "h3_8"):
        expected = ("model", "uniform", "last52", "ring_kde", "risk_score", "score_no_model")
        assert {(level, m) for m in expected} <= methods
    values = {(lv, m, metric, pct): v for lv, m, metric, pct, v in report.rows}
    # The hot spot is a tenth of a district: knowing it beats spreading by area.
    for level in ("h3_9", "h3_8"):
        assert values[(level, "model", "pai", 5)] > 2 * values[(level, "uniform", "pai", 5)]
        assert values[(level, "model", "deviance", 0)] > 0
    shared = {(lv, m, metric): v for lv, m, metric, _pct, v in reports["all"].rows}
    assert 0 <= shared[("h3", "risk_score", "alert_area_share")] <= 0.2
    table = format_report(report)
    assert "ring_kde" in table and "PAI@5%" in table
    with psycopg.connect(history.analyst_url) as conn:
        rows = conn.execute(
            "SELECT city, count(*) FROM analytics.model_metrics GROUP BY city"
        ).fetchall()
        side = conn.execute(
            "SELECT pai_5, deviance, predicted_over_observed FROM analytics.model_comparison"
            " WHERE city = 'stockholm' AND level = 'h3_9' AND method = 'model'"
        ).fetchone()
    assert dict(rows) == {code: len(r.rows) for code, r in reports.items()}
    assert side[0] == values[("h3_9", "model", "pai", 5)]
    assert side[1] == values[("h3_9", "model", "deviance", 0)]
    assert side[2] == pytest.approx(
        values[("h3_9", "model", "predicted_total", 0)]
        / values[("h3_9", "model", "observed_total", 0)]
    )


def test_a_second_city_changes_none_of_the_first_citys_backtest(history: ScratchDatabase) -> None:
    # Each city is backtested alone, as the nightly fits it (fit_cities): a second city with
    # a different pattern leaves every row of the first as it was (a joint fit moves them).
    alone = {
        (lv, m, metric, pct): v
        for r in run_backtest(history.owner_url, 6, progress=False)
        if r.city == "stockholm"
        for lv, m, metric, pct, v in r.rows
    }
    with psycopg.connect(history.owner_url) as conn:
        second = add_test_city(conn, "uppsala")
        conn.execute(
            "UPDATE ref.cities SET boundary = ST_Multi(ST_MakeEnvelope(17.60, 59.84, 17.68,"
            " 59.88, 4326)) WHERE id = %s",
            (second,),
        )
        rng = np.random.default_rng(11)
        for week in range(1, 71):  # busier than Stockholm, spread out: a joint fit would shift
            start = AS_OF - timedelta(weeks=week + 1)
            for k in range(25):
                lon, lat = rng.uniform(17.601, 17.679), rng.uniform(59.841, 59.879)
                when = start + timedelta(hours=float(rng.uniform(0, 168)))
                add_point(conn, f"u{week}-{k}", lon, lat, when, category="theft")
        # All before Stockholm's last week: the as-of time (the newest first seen) stays.
        conn.commit()
    done = halo("backtest", "--origins", "6", env=db_env(history))
    assert done.returncode == 0, done.stderr
    assert "city stockholm: model untrained, 6 weekly origins" in done.stdout
    assert "city uppsala: model untrained, 6 weekly origins" in done.stdout
    with psycopg.connect(history.owner_url) as conn:
        stored = conn.execute(
            "SELECT city, level, method, metric, area_pct, value FROM risk.backtest_results"
        ).fetchall()
    both: dict[str, dict[tuple[str, str, str, float], float]] = {}
    for city, level, method, metric, pct, value in stored:
        both.setdefault(city, {})[(level, method, metric, pct)] = value
    assert set(both) == {"stockholm", "uppsala", "all"}
    assert both["stockholm"].keys() == alone.keys()
    for key, value in alone.items():
        assert both["stockholm"][key] == pytest.approx(value, rel=1e-6, nan_ok=True), key
    # The second city has folds of its own (its own levels: no districts).
    assert both["uppsala"][("h3_9", "model", "pai", 5)] > 0
    assert ("district", "model", "pai", 5) not in both["uppsala"]


def test_nightly_retrains_refreshes_and_backtests(
    history: ScratchDatabase, history_api: httpx.Client
) -> None:
    assert history_api.get("/health/ready").json()["status"] == "degraded"
    result = run_nightly(history.owner_url, backtest_origins=4)
    with psycopg.connect(history.owner_url) as conn:
        runs = dict(conn.execute("SELECT kind, status FROM ops.job_runs").fetchall())
        with_prediction = conn.execute(
            "SELECT count(*) FILTER (WHERE expected_week IS NOT NULL), count(*) FROM risk.cell_risk"
        ).fetchone()
    assert runs == {
        "nightly": "success",
        "retrain": "success",
        "refresh": "success",
        "backtest": "success",
        # The push cycle after the run (no devices here: it sends nothing, but it ran).
        "push_dispatch": "success",
        "push_receipts": "success",
    }
    assert result.generation >= 1
    assert with_prediction[0] == with_prediction[1] > 0
    assert history_api.get("/health/ready").json()["status"] == "ok"


def test_a_short_history_skips_the_backtest_but_never_fails_the_nightly(
    db: ScratchDatabase, api: httpx.Client
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        make_city(conn)
        add_hotspot_history(conn, weeks=12)  # a new deployment: 12 weeks of data
    result = run_nightly(db.owner_url, backtest_origins=52)
    with psycopg.connect(db.owner_url) as conn:
        runs = dict(conn.execute("SELECT kind, status FROM ops.job_runs").fetchall())
        details = conn.execute(
            "SELECT details ->> 'backtest' FROM ops.job_runs WHERE id = %s", (result.run_id,)
        ).fetchone()
    assert runs["nightly"] == runs["retrain"] == runs["refresh"] == "success"
    assert details[0].startswith("skipped: only 0 weekly origins")
    assert api.get("/health/ready").json()["status"] == "ok"


def test_a_failed_nightly_run_marks_health_degraded(db: ScratchDatabase, api: httpx.Client) -> None:
    with psycopg.connect(db.owner_url) as conn:
        make_city(conn)  # no incidents at all: nothing to train on
    with pytest.raises(ValueError, match="history"):
        run_nightly(db.owner_url, backtest_origins=0)
    body = api.get("/health/ready").json()
    assert body["status"] == "degraded"
    assert body["checks"]["nightly"]["last_status"] == "failed"


def test_two_nightly_runs_never_overlap(db: ScratchDatabase) -> None:
    with exclusive(db.owner_url), pytest.raises(JobAlreadyRunning):
        run_nightly(db.owner_url, backtest_origins=0)


def test_retrain_trigger_needs_an_admin_key(db: ScratchDatabase, api: httpx.Client) -> None:
    url = "/api/v1/admin/retrain/trigger"
    assert api.post(url).status_code == 401
    analyst = api_key(db, "analyst")
    assert api.post(url, headers={"X-API-Key": analyst}).status_code == 403


def test_retrain_trigger_queues_one_run_for_the_scheduler(
    history: ScratchDatabase, history_api: httpx.Client
) -> None:
    headers = {"X-API-Key": api_key(history, "admin")}
    first = history_api.post("/api/v1/admin/retrain/trigger", headers=headers)
    again = history_api.post("/api/v1/admin/retrain/trigger", headers=headers)
    assert first.status_code == 200
    body = first.json()
    assert body["status"] == "success" and body["queued"] is True
    assert str(body["run_id"]) in body["message"]
    assert again.json()["run_id"] == body["run_id"] and again.json()["queued"] is False
    # What the scheduler does on its next poll:
    assert _queued_run(history.owner_url) == body["run_id"]
    run_nightly(history.owner_url, run_id=body["run_id"], backtest_origins=4)
    with psycopg.connect(history.owner_url) as conn:
        status = conn.execute(
            "SELECT status FROM ops.job_runs WHERE id = %s", (body["run_id"],)
        ).fetchone()
    assert status == ("success",)
    assert _queued_run(history.owner_url) is None
    metrics = history_api.get(
        "/api/v1/model/metrics", headers={"X-API-Key": api_key(history, "analyst")}
    )
    assert metrics.status_code == 200
    payload = metrics.json()
    assert payload["model_version"].startswith("blend-")
    assert {row["method"] for row in payload["backtest"]} >= {"model", "last52"}
    side = {(row["level"], row["method"]): row for row in payload["comparison"]}
    for level in ("h3_9", "h3_8"):
        assert side[(level, "model")]["pai_5"] > 0 and side[(level, "model")]["deviance"] > 0
        assert 0.5 < side[(level, "model")]["predicted_over_observed"] < 2
        assert 0 <= side[(level, "risk_score")]["alert_area_share"] <= 1
        assert side[(level, "risk_score")]["deviance"] is None  # a score, not a count
    assert history_api.get("/api/v1/model/metrics").status_code == 401


def test_retraining_without_a_city_says_what_is_missing(db: ScratchDatabase) -> None:
    with pytest.raises(ValueError, match="no city has a study area yet: halo city add"):
        retrain(db.owner_url, AS_OF)
