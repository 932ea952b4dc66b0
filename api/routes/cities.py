"""GET /api/v1/cities: the cities Halo covers, as the web map and the app need them: name, time
zone, default view, the box of the study area (to tell which city a point is in), the numbers
residents are given (`halo city add --emergency/--police`) and the credit of the city's data.
A city without an emergency number of its own is said with 112, which mobile phones route to
the local emergency service almost everywhere (the clients hold that fallback)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import read_pool
from api.tiles.service import Tiles

router = APIRouter(tags=["map"])

# The box of a city's study area from its coarsest risk cells (few, and they cover the base
# cells), else from its boundary before its first refresh; NULL without either.
CITIES_SQL = """
SELECT c.code, c.name, c.time_zone, c.view_lat, c.view_lon, c.view_zoom::float8,
       coalesce(cells.box, c.boundary::box2d) AS box, c.emergency_number, c.police_number
FROM ref.cities c
LEFT JOIN (SELECT r.city_id, ST_Extent(r.geom) AS box
           FROM risk.cells r, risk.parameters p
           WHERE r.resolution = p.base_resolution - 2
           GROUP BY r.city_id) cells ON cells.city_id = c.id
ORDER BY c.id
"""
# The credit of each city's data, as the TileJSON's global one (api/tiles/tilejson.py,
# DATA_ATTRIBUTION_SQL) but only what the city's map shows: the sources with incidents in the
# city (risk.incident_city: the source's city; for a source without one, the city of the
# study-area cell, else of the district, holding an incident), then SCB's boundaries for a
# city made of SCB municipalities (ref.cities.municipality_codes). NULL: nothing to credit.
# A source with a city costs one EXISTS (~1 ms for both cities); one found by location scans
# its incidents (~350 ms with the 184k Vancouver points), hence cached per generation.
CITY_CREDITS_SQL = r"""
SELECT c.code, (
    SELECT string_agg(credit, '; ' ORDER BY rank, credit) FROM (
        SELECT 1 AS rank, coalesce(s.attribution, 'Data: ' || s.name) AS credit
          FROM ref.data_sources s
         WHERE s.kind <> 'user_reports'
           AND CASE WHEN s.city_id IS NOT NULL
                    THEN s.city_id = c.id
                         AND EXISTS (SELECT 1 FROM raw.incidents i WHERE i.source_id = s.id)
                    ELSE EXISTS (SELECT 1 FROM raw.incidents i, risk.parameters p, risk.cells r
                                  WHERE i.source_id = s.id AND r.city_id = c.id
                                    AND r.cell = h3_cell_to_parent(i.h3_cell, p.base_resolution))
                      OR EXISTS (SELECT 1 FROM raw.incidents i
                                   JOIN ref.districts d ON d.id = i.district_id, risk.parameters p
                                  WHERE i.source_id = s.id AND d.city_id = c.id
                                    AND NOT EXISTS (
                                        SELECT 1 FROM risk.cells r WHERE r.cell =
                                        h3_cell_to_parent(i.h3_cell, p.base_resolution)))
               END
        UNION
        -- "Källa: SCB" said without the Swedish "Källa:", as in the TileJSON's credit.
        SELECT 2, 'boundaries: ' || regexp_replace(m.attribution, '^Källa:\s*', '')
          FROM ref.municipalities m
         WHERE m.code = ANY (c.municipality_codes)
    ) credits
)
FROM ref.cities c
"""
# The key of the cities' credits in the tile service's per-generation cache.
CREDITS_KEY = ("cities-credit", 0, 0, 0)


class View(BaseModel):
    """The city's default map view."""

    lat: float
    lon: float
    zoom: float


class City(BaseModel):
    """One city (CONTRACTS.md): bbox is [west, south, east, north] in degrees (WGS84)."""

    code: str
    name: str
    time_zone: str
    view: View | None
    bbox: list[float] | None
    emergency_number: str | None
    police_number: str | None
    credit: str | None = Field(
        description="The credit line of the city's data (its sources, then its boundaries' "
        "source), as the map shows it over the city; null when nothing is shown there yet"
    )


class Cities(BaseModel):
    cities: list[City]


@router.get(
    "/api/v1/cities",
    summary="The cities covered: view, study-area box, emergency and police numbers, credit",
    response_model=Cities,
)
async def get_cities(request: Request, service: Tiles) -> JSONResponse:
    """Every city in the order they were added."""
    credits = await city_credits(request, service)
    async with read_pool(request).connection() as conn:
        cur = await conn.execute(CITIES_SQL)
        rows = await cur.fetchall()
    cities = [
        City(
            code=code,
            name=name,
            time_zone=tz,
            view=None if lat is None else View(lat=lat, lon=lon, zoom=zoom),
            bbox=None if box is None else box_bounds(box),
            emergency_number=emergency,
            police_number=police,
            credit=credits.get(code),
        )
        for code, name, tz, lat, lon, zoom, box, emergency, police in rows
    ]
    body = Cities(cities=cities).model_dump()
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})


async def city_credits(request: Request, service: Tiles) -> dict[str, str | None]:
    """Each city's credit (CITY_CREDITS_SQL), computed once a generation: the credit names
    the data of the generation's tiles, as the TileJSON documents' does."""
    pool = read_pool(request)
    generation = await service.current_generation(pool)

    async def produce() -> bytes:
        # Its own connection: the answer may outlive this request (others wait for it).
        async with pool.connection() as conn:
            cur = await conn.execute(CITY_CREDITS_SQL)
            return json.dumps(dict(await cur.fetchall())).encode()

    answer = await service.cached(generation, CREDITS_KEY, produce)
    credits: dict[str, str | None] = json.loads(answer.raw)
    return credits


def box_bounds(box: str) -> list[float]:
    """PostGIS box2d text "BOX(w s,e n)" -> [w, s, e, n], rounded to ~1 m."""
    low, high = box.removeprefix("BOX(").removesuffix(")").split(",")
    return [round(float(v), 5) for v in (*low.split(), *high.split())]
