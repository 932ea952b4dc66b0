"""GET /api/v1/legend: one legend from the alert thresholds of `risk.parameters` (the row the
alert zones read too), the same classes in the style's colours and opacities, `halo
thresholds` changing all of them together, and no threshold hard-coded in the web map or the
style module."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import psycopg
import pytest

from config.map import WEB_DIR
from config.settings import REPO_ROOT, Settings
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
from tests.support.halo_cli import db_env, halo, one_error_line
from tests.support.map_support import MapCity, map_api, map_city


@pytest.fixture(scope="module")
def city(db_factory: DatabaseFactory, template_db: ScratchDatabase) -> Iterator[MapCity]:
    with map_city(db_factory, template_db) as seeded:
        yield seeded


def test_legend_follows_the_contract_with_the_default_thresholds(
    settings: Settings, city: MapCity
) -> None:
    with map_api(settings, city) as client:
        legend = client.get("/api/v1/legend").json()
    assert legend["thresholds"] == {"alert_enter": 0.6, "alert_clear": 0.5}
    classes = legend["classes"]
    assert classes[0]["min"] == 0.0 and classes[-1]["max"] == 1.0
    assert all(a["max"] == b["min"] for a, b in itertools.pairwise(classes))
    assert [c["min"] for c in classes].count(0.6) == 1
    alert = next(c for c in classes if c["min"] == 0.6)
    assert "1.5\u00d7" in alert["label"]["en"] and "1,5\u00d7" in alert["label"]["sv"]
    assert [c["opacity"] for c in classes] == sorted(c["opacity"] for c in classes)
    for words in [c["label"] for c in classes] + [legend["explanation"]]:
        assert words["sv"] and words["en"] and words["sv"] != words["en"]
    assert "zoom" in legend["explanation"]["en"].lower()
    assert "zoomar" in legend["explanation"]["sv"].lower()


def test_halo_thresholds_moves_legend_style_and_alert_zones_together(
    settings: Settings, city: MapCity
) -> None:
    env = db_env(city.db)
    try:
        changed = halo("thresholds", "--enter", "0.7", "--clear", "0.55", env=env)
        assert changed.returncode == 0, changed.stderr
        shown = halo("thresholds", env=env)
        assert "enter at 0.7, clear below 0.55" in shown.stdout
        with map_api(settings, city) as client:
            legend = client.get("/api/v1/legend").json()
            style = client.get("/style.json").json()
            lon, lat = city.hotspot
            box = f"{lon - 0.05:.4f},{lat - 0.05:.4f},{lon + 0.05:.4f},{lat + 0.05:.4f}"
            zones = client.get("/api/v1/alert-zones", params={"bbox": box}).json()
    finally:
        restored = halo("thresholds", "--enter", "0.6", "--clear", "0.5", env=env)
        assert restored.returncode == 0, restored.stderr
    assert legend["thresholds"] == {"alert_enter": 0.7, "alert_clear": 0.55}
    assert (zones["alert_threshold"], zones["clear_threshold"]) == (0.7, 0.55)
    bounds = [c["min"] for c in legend["classes"][1:]]
    assert bounds[:2] == [0.55, 0.7]
    assert "2.3\u00d7" in legend["classes"][2]["label"]["en"]
    risk = next(layer for layer in style["layers"] if layer["id"] == "risk-fill")
    colour, opacity = risk["paint"]["fill-color"], risk["paint"]["fill-opacity"]
    assert colour[0] == "step" and colour[3::2] == bounds and opacity[3::2] == bounds
    assert colour[2::2] == [c["color"] for c in legend["classes"]]
    assert opacity[2::2] == [c["opacity"] for c in legend["classes"]]


def test_the_legend_words_each_city_s_alert_level_with_its_reference_multiple(
    settings: Settings, city: MapCity
) -> None:
    """A city whose refresh chose k = 2.5 (risk.city_rates.alert_multiple): its alert level is
    "at least 3.75x the city rate" in the labels for it and in its explanation, in Swedish
    and English; the thresholds and colours do not move; an unknown city is a 404."""
    with psycopg.connect(city.db.owner_url, autocommit=True) as conn:
        before = conn.execute("SELECT city_id, alert_multiple FROM risk.city_rates").fetchall()
        with map_api(settings, city) as client:
            plain = client.get("/api/v1/legend").json()
            try:
                conn.execute("UPDATE risk.city_rates SET alert_multiple = 2.5")
                scaled = client.get("/api/v1/legend").json()
                one = client.get("/api/v1/legend", params={"city": "stockholm"}).json()
                unknown = client.get("/api/v1/legend", params={"city": "atlantis"})
                bad = client.get("/api/v1/legend", params={"city": "Bad City!"})
            finally:
                for city_id, multiple in before:
                    conn.execute(
                        "UPDATE risk.city_rates SET alert_multiple = %s WHERE city_id = %s",
                        (multiple, city_id),
                    )
    assert [c["reference_multiple"] for c in plain["cities"]] == [1.0]
    assert "1.5\u00d7 the city's average" in plain["cities"][0]["explanation"]["en"]
    assert "minst 1,5\u00d7 stadens genomsnitt" in plain["cities"][0]["explanation"]["sv"]
    assert scaled == one
    rule = scaled["cities"][0]
    assert (rule["code"], rule["reference_multiple"], rule["alert_area"]) == ("stockholm", 2.5, 0.5)
    assert rule["alert_times_city_rate"] == 3.75
    assert "minst 3,75\u00d7 stadens genomsnitt" in rule["explanation"]["sv"]
    assert "at least 3.75\u00d7 the city's average" in rule["explanation"]["en"]
    alert = scaled["classes"][2]["label"]
    assert alert["sv"] == "Minst 3,75\u00d7 stadens nivå (varningsnivå)"
    assert alert["en"] == "At least 3.75\u00d7 the city rate (alert level)"
    assert "2,5\u00d7" in scaled["classes"][0]["label"]["sv"]  # below alert: not above 2.5x
    assert (
        "3,75\u00d7" in scaled["explanation"]["sv"] and "3.75\u00d7" in scaled["explanation"]["en"]
    )
    assert scaled["thresholds"] == plain["thresholds"]
    assert [(c["min"], c["color"]) for c in scaled["classes"]] == [
        (c["min"], c["color"]) for c in plain["classes"]
    ]
    assert unknown.status_code == 404 and bad.status_code == 422


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--enter", "0.5", "--clear", "0.6"], "0 < clear < enter < 1"),
        (["--enter", "1.2", "--clear", "0.5"], "0 < clear < enter < 1"),
        (["--enter", "0.7"], "give both --enter and --clear"),
    ],
)
def test_bad_thresholds_are_refused_in_one_line_and_nothing_changes(
    city: MapCity, args: list[str], says: str
) -> None:
    env = db_env(city.db)
    assert says in one_error_line(halo("thresholds", *args, env=env))
    assert "enter at 0.6, clear below 0.5" in halo("thresholds", env=env).stdout


def test_no_threshold_is_hard_coded_in_the_web_map_or_the_style() -> None:
    script = (WEB_DIR / "public" / "map.js").read_text(encoding="utf-8")
    assert not re.search(r"\b0\.[5-8]\b", script)
    style = (REPO_ROOT / "api" / "tiles" / "tilejson.py").read_text(encoding="utf-8")
    assert "risk_score" not in style and "#e31a1c" not in style


def test_public_words_have_no_h3_ids_or_hour_factor() -> None:
    for path in (WEB_DIR / "public").glob("*.js"):
        text = path.read_text(encoding="utf-8").lower()
        assert "hour factor" not in text and "h3 cell" not in text, path
        assert "risk.cell" not in text and "at.factor" not in text, path
