"""GET /api/v1/cities: the cities Halo covers, as the web map and the app need them: name, time
zone, default view, the box of the study area (to tell which city a point is in) and the
numbers residents are given (`halo city add --emergency/--police`). A city without an
emergency number of its own is said with 112, which mobile phones route to the local
emergency service almost everywhere (the clients hold that fallback)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import ReadConn

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


class Cities(BaseModel):
    cities: list[City]


@router.get(
    "/api/v1/cities",
    summary="The cities covered: view, study-area box, emergency and police numbers",
    response_model=Cities,
)
async def get_cities(conn: ReadConn) -> JSONResponse:
    """Every city in the order they were added."""
    cur = await conn.execute(CITIES_SQL)
    cities = [
        City(
            code=code,
            name=name,
            time_zone=tz,
            view=None if lat is None else View(lat=lat, lon=lon, zoom=zoom),
            bbox=None if box is None else box_bounds(box),
            emergency_number=emergency,
            police_number=police,
        )
        for code, name, tz, lat, lon, zoom, box, emergency, police in await cur.fetchall()
    ]
    body = Cities(cities=cities).model_dump()
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})


def box_bounds(box: str) -> list[float]:
    """PostGIS box2d text "BOX(w s,e n)" -> [w, s, e, n], rounded to ~1 m."""
    low, high = box.removeprefix("BOX(").removesuffix(")").split(",")
    return [round(float(v), 5) for v in (*low.split(), *high.split())]
