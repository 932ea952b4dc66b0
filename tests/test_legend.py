"""GET /api/v1/legend: one legend from the alert settings, the same classes in the style's
colours and opacities, and no threshold hard-coded in the web map or the style module."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from config.map import WEB_DIR, MapSettings
from config.settings import REPO_ROOT, Settings
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
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


def test_thresholds_come_from_the_settings_into_legend_and_style(
    settings: Settings, city: MapCity
) -> None:
    with map_api(settings, city, alert_enter=0.7, alert_clear=0.55) as client:
        legend = client.get("/api/v1/legend").json()
        style = client.get("/style.json").json()
    assert legend["thresholds"] == {"alert_enter": 0.7, "alert_clear": 0.55}
    bounds = [c["min"] for c in legend["classes"][1:]]
    assert bounds[:2] == [0.55, 0.7]
    assert "2.3\u00d7" in legend["classes"][2]["label"]["en"]
    risk = next(layer for layer in style["layers"] if layer["id"] == "risk-fill")
    colour, opacity = risk["paint"]["fill-color"], risk["paint"]["fill-opacity"]
    assert colour[0] == "step" and colour[3::2] == bounds and opacity[3::2] == bounds
    assert colour[2::2] == [c["color"] for c in legend["classes"]]
    assert opacity[2::2] == [c["opacity"] for c in legend["classes"]]


def test_a_clear_threshold_at_or_above_enter_is_refused() -> None:
    with pytest.raises(ValidationError, match="ALERT_CLEAR"):
        MapSettings(alert_enter=0.5, alert_clear=0.6)


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
