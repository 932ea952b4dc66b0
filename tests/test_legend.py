"""GET /api/v1/legend: one legend from the alert thresholds of `risk.parameters` (the row the
alert zones read too), the same classes in the style's colours and opacities, `halo
thresholds` changing all of them together, and no threshold hard-coded in the web map or the
style module."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

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
