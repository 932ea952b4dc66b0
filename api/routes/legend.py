"""GET /api/v1/legend: the one legend of the risk layer (classes, colours, opacities, words in
Swedish and English, thresholds). The thresholds are `risk.parameters` (the same row the alert
zones and the report rules read; `halo thresholds` changes them), so the style, the web map,
the app and the alert zones cannot disagree.

The words say what a class means in multiples of the city rate, and that depends on the city:
risk_score = RR_lo / (k + RR_lo) with each city's reference multiple k (risk.city_rates,
chosen at each refresh so its alert zones stay within its ref.cities.alert_area). `cities`
gives every city's meaning; `?city=CODE` words the classes for that city; without it they are
worded for the cities' common k, or against each city's "reference level" when they differ."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from psycopg import AsyncConnection
from pydantic import BaseModel

from api.deps import ReadConn
from api.errors import problem_response

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


class CityRule(BaseModel):
    """A city's alert rule from the last refresh: its reference multiple k (risk_score =
    RR_lo / (k + RR_lo)), the cap on its alert zones' share of its area, and what the alert
    level then means, in words."""

    code: str
    name: str
    reference_multiple: float
    alert_area: float
    alert_times_city_rate: float
    explanation: Words


class Legend(BaseModel):
    """GET /api/v1/legend (CONTRACTS.md)."""

    thresholds: Thresholds
    classes: list[LegendClass]
    explanation: Words
    cities: list[CityRule] = []


def times_city_rate(score: float, multiple: float = 1.0) -> str:
    """The lower bound of the relative risk a score stands for (score = RR_lo / (k + RR_lo)):
    exact to the hundredth (2.5 x 1.5 = 3.75), else rounded down to a tenth (7/3 -> 2.3), so
    "at least" never overstates."""
    exact = multiple * score / (1 - score)
    value = math.floor(exact * 100 + 1e-6) / 100
    if abs(value - exact) > 1e-6:
        value = math.floor(exact * 10 + 1e-6) / 10
    return f"{value:.2f}".rstrip("0").rstrip(".")


def decimal_sv(text: str) -> str:
    """A number in Swedish writing (decimal comma)."""
    return text.replace(".", ",")


async def city_rules(conn: AsyncConnection, thresholds: Thresholds) -> list[CityRule]:
    """Every city's reference multiple (1 before its first refresh) and alert cap."""
    cur = await conn.execute(
        "SELECT c.code, c.name, coalesce(r.alert_multiple, 1)::float8,"
        " round(c.alert_area::numeric, 4)::float8"
        " FROM ref.cities c LEFT JOIN risk.city_rates r ON r.city_id = c.id ORDER BY c.id"
    )
    return [
        city_rule(code, name, multiple, cap, thresholds)
        for code, name, multiple, cap in await cur.fetchall()
    ]


def city_rule(
    code: str, name: str, multiple: float, cap: float, thresholds: Thresholds
) -> CityRule:
    """One city's rule, with its meaning in Swedish and English."""
    enter = thresholds.alert_enter
    times = times_city_rate(enter, multiple)
    share = f"{cap * 100:g}"
    sv = (
        f"{name}: varningsnivån betyder minst {decimal_sv(times)}{TIMES} stadens genomsnitt,"
        " med säkerhet."
    )
    en = f"{name}: the alert level means at least {times}{TIMES} the city's average, confidently."
    if multiple > 1:
        k = f"{multiple:g}"
        sv += (
            f" Här är rapporterna så många och så samlade att referensnivån är {decimal_sv(k)}"
            f"{TIMES} genomsnittet, så att varningszonerna täcker högst {decimal_sv(share)} %"
            " av staden."
        )
        en += (
            f" Reports here are dense and concentrated enough that the reference level is {k}"
            f"{TIMES} the average, so alert zones cover at most {share} % of the city."
        )
    return CityRule(
        code=code,
        name=name,
        reference_multiple=multiple,
        alert_area=cap,
        alert_times_city_rate=float(times),
        explanation=Words(sv=sv, en=en),
    )


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


def legend(
    thresholds: Thresholds, cities: list[CityRule] | None = None, city: str | None = None
) -> Legend:
    """The legend for the thresholds: four classes, the alert level third, worded for `city`
    (a code of `cities`), else for the cities' common reference multiple, else against each
    city's reference level (k x its rate, said per city in `cities`)."""
    cities = cities or []
    chosen = [c for c in cities if c.code == city] if city else cities
    multiples = {c.reference_multiple for c in chosen} or {1.0}
    multiple = multiples.pop() if len(multiples) == 1 else None
    level_sv, level_en = (
        ("stadens nivå", "the city rate")
        if multiple
        else ("stadens referensnivå", "the city's reference level")
    )
    enter, clear = thresholds.alert_enter, thresholds.alert_clear
    top = max(TOP_CLASS_SCORE, enter + 0.05)
    enter_x, top_x = times_city_rate(enter, multiple or 1), times_city_rate(top, multiple or 1)
    low_sv, low_en = "Inte tydligt högre än stadens nivå", "Not clearly higher than the city rate"
    mid_sv, mid_en = "Högre än stadens nivå", "Higher than the city rate"
    if multiple != 1:
        # With k > 1 the lower classes compare with k x the rate, not the rate itself.
        ref = times_city_rate(clear, multiple or 1)
        low_sv, low_en = (
            (f"Inte tydligt över {decimal_sv(ref)}{TIMES} stadens nivå",
             f"Not clearly above {ref}{TIMES} the city rate")
            if multiple else
            ("Inte tydligt högre än stadens referensnivå",
             "Not clearly higher than the city's reference level")
        )  # fmt: skip
        mid_sv, mid_en = (
            (f"Över {decimal_sv(ref)}{TIMES} stadens nivå", f"Above {ref}{TIMES} the city rate")
            if multiple else
            ("Högre än stadens referensnivå", "Higher than the city's reference level")
        )  # fmt: skip
    classes = [
        LegendClass(
            min=0.0, max=clear, color="#fff3b0", opacity=0.12,
            label=Words(sv=low_sv, en=low_en),
        ),
        LegendClass(
            min=clear, max=enter, color="#fd8d3c", opacity=0.4,
            label=Words(sv=mid_sv, en=mid_en),
        ),
        LegendClass(
            min=enter, max=top, color="#e31a1c", opacity=0.55,
            label=Words(sv=f"Minst {decimal_sv(enter_x)}{TIMES} {level_sv} (varningsnivå)",
                        en=f"At least {enter_x}{TIMES} {level_en} (alert level)"),
        ),
        LegendClass(
            min=top, max=1.0, color="#800026", opacity=0.65,
            label=Words(sv=f"Minst {decimal_sv(top_x)}{TIMES} {level_sv}",
                        en=f"At least {top_x}{TIMES} {level_en}"),
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
    if multiple is None or multiple > 1:
        said = chosen if multiple else cities
        explanation = Words(
            sv=" ".join([explanation.sv, *(c.explanation.sv for c in said)]),
            en=" ".join([explanation.en, *(c.explanation.en for c in said)]),
        )
    return Legend(
        thresholds=thresholds,
        classes=classes,
        explanation=explanation,
        cities=cities,
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
    "/api/v1/legend",
    summary="The risk layer's legend and alert thresholds",
    response_model=Legend,
    responses={404: problem_response("Unknown city")},
)
async def get_legend(
    conn: ReadConn,
    city: Annotated[
        str | None,
        Query(
            max_length=40,
            pattern=r"^[a-z0-9_-]+$",
            description="A city's code: the classes worded with its reference multiple",
        ),
    ] = None,
) -> JSONResponse:
    """Classes of risk_score with colour, opacity and words (sv, en), the thresholds, and each
    city's alert rule (its reference multiple k: risk_score = RR_lo / (k + RR_lo))."""
    thresholds = await alert_thresholds(conn)
    cities = await city_rules(conn, thresholds)
    if city is not None and city not in {c.code for c in cities}:
        raise HTTPException(404, f"unknown city {city!r}")
    body = legend(thresholds, cities, city).model_dump()
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})
