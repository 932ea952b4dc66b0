"""GET /api/v1/legend: the one legend of the risk layer (classes, colours, opacities, words in
Swedish and English, thresholds), from the alert settings. The style, the web map and the app
all draw from it, so no client hard-codes a threshold or a colour."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from config.map import MapSettings

router = APIRouter(tags=["map"])

# Score at which the top class ("at least 4x") starts: RR_lo = 4.
TIMES = "\u00d7"  # the multiplication sign of "1.5\u00d7 the city rate"
TOP_CLASS_SCORE = 0.8


class Words(BaseModel):
    """A text in Swedish and English."""

    sv: str
    en: str


class LegendClass(BaseModel):
    """One class of risk_score: [min, max), its fill colour and opacity, and its words."""

    min: float
    max: float
    color: str
    opacity: float
    label: Words


class Thresholds(BaseModel):
    """Enter the alert zone at alert_enter, leave it below alert_clear."""

    alert_enter: float
    alert_clear: float


class Legend(BaseModel):
    """GET /api/v1/legend (CONTRACTS.md)."""

    thresholds: Thresholds
    classes: list[LegendClass]
    explanation: Words


def times_city_rate(score: float) -> str:
    """The lower bound of the relative risk a score stands for (score = RR_lo / (1 + RR_lo))."""
    value = score / (1 - score)
    return f"{value:.1f}".rstrip("0").rstrip(".")


def legend(settings: MapSettings) -> Legend:
    """The legend for the configured thresholds: four classes, the alert level third."""
    enter, clear = settings.alert_enter, settings.alert_clear
    top = max(TOP_CLASS_SCORE, enter + 0.05)
    enter_x, top_x = times_city_rate(enter), times_city_rate(top)
    classes = [
        LegendClass(
            min=0.0, max=clear, color="#fff3b0", opacity=0.12,
            label=Words(sv="Inte tydligt högre än stadens nivå",
                        en="Not clearly higher than the city rate"),
        ),
        LegendClass(
            min=clear, max=enter, color="#fd8d3c", opacity=0.4,
            label=Words(sv="Högre än stadens nivå",
                        en="Higher than the city rate"),
        ),
        LegendClass(
            min=enter, max=top, color="#e31a1c", opacity=0.55,
            label=Words(sv=f"Minst {enter_x.replace('.', ',')}{TIMES} stadens nivå (varningsnivå)",
                        en=f"At least {enter_x}{TIMES} the city rate (alert level)"),
        ),
        LegendClass(
            min=top, max=1.0, color="#800026", opacity=0.65,
            label=Words(sv=f"Minst {top_x.replace('.', ',')}{TIMES} stadens nivå",
                        en=f"At least {top_x}{TIMES} the city rate"),
        ),
    ]  # fmt: skip
    explanation = Words(
        sv="Varje sexhörning jämför polisens och användarnas rapporter där med hela stadens "
        "genomsnitt, med den försiktiga nedre änden av skattningen. Zoomar du in blir "
        "sexhörningarna mindre: var och en har färre rapporter, skattningen blir osäkrare och "
        "färre når varningsnivån. En högre nivå beskriver rapporter, inte människor eller platser.",
        en="Each hexagon compares the reports there (police and users) with the whole city's "
        "average, using the cautious lower end of the estimate. Zooming in shows smaller "
        "hexagons: each holds fewer reports, so the estimate is less certain and fewer reach "
        "the alert level. A higher rate describes reports, not people or places.",
    )
    return Legend(
        thresholds=Thresholds(alert_enter=enter, alert_clear=clear),
        classes=classes,
        explanation=explanation,
    )


def fill_color(classes: list[LegendClass]) -> list[Any]:
    """MapLibre `step` expression of risk_score to the classes' colours."""
    return _step([c.color for c in classes], classes)


def fill_opacity(classes: list[LegendClass]) -> list[Any]:
    """MapLibre `step` expression of risk_score to the classes' opacities."""
    return _step([c.opacity for c in classes], classes)


def _step(outputs: list[Any], classes: list[LegendClass]) -> list[Any]:
    expression: list[Any] = ["step", ["coalesce", ["get", "risk_score"], 0], outputs[0]]
    for output, cls in zip(outputs[1:], classes[1:], strict=True):
        expression += [cls.min, output]
    return expression


@router.get(
    "/api/v1/legend", summary="The risk layer's legend and alert thresholds", response_model=Legend
)
async def get_legend(request: Request) -> JSONResponse:
    """Classes of risk_score with colour, opacity and words (sv, en), and the thresholds."""
    settings: MapSettings = request.app.state.settings.map
    body = legend(settings).model_dump()
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})
