"""GET /api/v1/legend: the one legend of the risk layer (classes, colours, opacities, words in
Swedish and English, thresholds). The thresholds are `risk.parameters` (the same row the alert
zones and the report rules read; `halo thresholds` changes them), so the style, the web map,
the app and the alert zones cannot disagree."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from psycopg import AsyncConnection
from pydantic import BaseModel

from api.deps import ReadConn

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


async def alert_thresholds(conn: AsyncConnection) -> Thresholds:
    """The alert thresholds of `risk.parameters` (rounded as the alert zones serve them)."""
    cur = await conn.execute(
        "SELECT round(alert_threshold::numeric, 3)::float8,"
        " round(clear_threshold::numeric, 3)::float8 FROM risk.parameters"
    )
    row = await cur.fetchone()
    if row is None:  # the baseline inserts the row; only a hand-damaged database lacks it
        raise RuntimeError("risk.parameters has no row")
    return Thresholds(alert_enter=row[0], alert_clear=row[1])


def legend(thresholds: Thresholds) -> Legend:
    """The legend for the thresholds: four classes, the alert level third."""
    enter, clear = thresholds.alert_enter, thresholds.alert_clear
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
        "sexhörningarna mindre och skattningen osäkrare; där rapporterna är för få för att "
        "skilja mindre områden åt visar de små sexhörningarna skattningen för området runt "
        "dem. En högre nivå beskriver rapporter, inte människor eller platser.",
        en="Each hexagon compares the reports there (police and users) with the whole city's "
        "average, using the cautious lower end of the estimate. Zooming in shows smaller "
        "hexagons and a less certain estimate; where the reports are too few to tell smaller "
        "areas apart, the small hexagons show the estimate of the area around them. A higher "
        "rate describes reports, not people or places.",
    )
    return Legend(
        thresholds=thresholds,
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
async def get_legend(conn: ReadConn) -> JSONResponse:
    """Classes of risk_score with colour, opacity and words (sv, en), and the thresholds."""
    body = legend(await alert_thresholds(conn)).model_dump()
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})
