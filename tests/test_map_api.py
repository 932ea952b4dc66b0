"""Neighbourhoods, risk at a point and alert zones over real HTTP on a refreshed synthetic city."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from shapely.geometry import shape
from shapely.ops import unary_union

from config.settings import Settings
from tests.support.map_support import MapCity, map_api

CITY_BBOX = "18.04,59.31,18.14,59.35"


@pytest.fixture(scope="module")
def client(settings: Settings, city: MapCity) -> Iterator[httpx.Client]:
    with map_api(settings, city) as http:
        yield http


def vertex_count(geometry: dict[str, Any]) -> int:
    return len(
        shape(geometry).exterior.coords
        if geometry["type"] == "Polygon"
        else [c for polygon in shape(geometry).geoms for c in polygon.exterior.coords]
    )


def test_neighborhoods_are_geojson_with_risk_ordered_by_id(
    client: httpx.Client, city: MapCity
) -> None:
    response = client.get("/api/v1/neighborhoods")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection" and collection["generation"] >= 1
    ids = [feature["id"] for feature in collection["features"]]
    assert ids == sorted(city.district_ids.values())
    props = {f["properties"]["name"]: f["properties"] for f in collection["features"]}
    assert 0 <= props["Västra"]["risk_score"] <= 1
    assert props["Västra"]["rr_lower"] <= props["Västra"]["rr_upper"]
    assert props["Västra"]["evidence"] == "point"
    assert props["Västra"]["incidents"] > 0


def test_neighborhoods_are_simplified_for_a_low_zoom(client: httpx.Client) -> None:
    exact = client.get("/api/v1/neighborhoods").json()["features"]
    coarse = client.get("/api/v1/neighborhoods", params={"zoom": 9}).json()["features"]
    round_exact = next(f for f in exact if f["properties"]["name"] == "Runda")
    round_coarse = next(f for f in coarse if f["properties"]["name"] == "Runda")
    assert vertex_count(round_coarse["geometry"]) < vertex_count(round_exact["geometry"])
    assert shape(round_coarse["geometry"]).is_valid


def test_neighborhoods_answer_304_to_their_etag_and_gzip(client: httpx.Client) -> None:
    first = client.get("/api/v1/neighborhoods", headers={"Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    again = client.get("/api/v1/neighborhoods", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("zoom", ["-1", "23", "x", "1.5"])
def test_neighborhoods_refuse_a_bad_zoom(client: httpx.Client, zoom: str) -> None:
    assert client.get("/api/v1/neighborhoods", params={"zoom": zoom}).status_code == 422


def test_neighborhood_details_count_incidents_by_category(
    client: httpx.Client, city: MapCity
) -> None:
    details = client.get(f"/api/v1/neighborhoods/{city.district_ids['Västra']}").json()
    assert details["name"] == "Västra"
    counts = {c["category"]: c["count"] for c in details["incidents_by_category"]}
    assert counts["violent"] > counts.get("theft", 0) > 0
    assert sum(counts.values()) == details["incidents"]
    assert details["evidence"] == "point"
    assert details["trend"] > 0
    assert details["cells_by_evidence"]["point"] > 0
    assert details["rr_lower"] <= details["relative_risk"] <= details["rr_upper"]


@pytest.mark.parametrize(("district", "status"), [("999999", 404), ("0", 422), ("abc", 422)])
def test_unknown_or_invalid_neighborhood_is_refused(
    client: httpx.Client, district: str, status: int
) -> None:
    assert client.get(f"/api/v1/neighborhoods/{district}").status_code == status


def test_risk_at_the_hotspot_is_high_with_point_evidence_and_why(
    client: httpx.Client, city: MapCity
) -> None:
    lon, lat = city.hotspot
    risk = client.get("/api/v1/risk", params={"lat": lat, "lon": lon}).json()
    assert risk["resolution"] == 9 and len(risk["cell"]) == 15
    assert risk["district"]["name"] == "Västra"
    assert risk["risk_score"] >= 0.6 and risk["evidence"] == "point"
    assert risk["rr_lower"] <= risk["relative_risk"] <= risk["rr_upper"]
    assert risk["why"][0]["category"] == "violent"
    assert 0 < risk["why"][0]["share"] <= 1


def test_risk_at_an_hour_uses_that_hours_factor(client: httpx.Client, city: MapCity) -> None:
    lon, lat = city.hotspot
    # Monday 10:00 in Stockholm (summer time) is hour 10 of the week.
    params: dict[str, str | float] = {"lat": lat, "lon": lon, "at": "2025-06-30T10:00:00+02:00"}
    risk = client.get("/api/v1/risk", params=params).json()
    at = risk["at"]
    assert at["hour_of_week"] == 10
    with psycopg.connect(city.db.owner_url) as conn:
        factor, score = conn.execute(
            "SELECT factor, risk.score_of(%s * factor) FROM risk.hour_of_week_profile"
            " WHERE hour_of_week = 10",
            (risk["rr_lower"],),
        ).fetchone()
    assert at["factor"] == pytest.approx(factor, abs=1e-3)
    assert at["relative_risk"] == pytest.approx(risk["relative_risk"] * factor, rel=1e-2)
    assert at["risk_score"] == pytest.approx(score, abs=2e-3)


def test_risk_outside_the_study_area_is_404(client: httpx.Client) -> None:
    response = client.get("/api/v1/risk", params={"lat": 57.7, "lon": 11.97})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "91", "lon": "18"},
        {"lat": "59", "lon": "-181"},
        {"lat": "nan", "lon": "18"},
        {"lat": "59", "lon": "inf"},
        {"lat": "59"},
        {"lat": "north", "lon": "18"},
        {"lat": "59.33", "lon": "18.06", "at": "2025-06-30T10:00:00"},
        {"lat": "59.33", "lon": "18.06", "at": "yesterday"},
    ],
)
def test_risk_refuses_bad_coordinates_and_times(
    client: httpx.Client, params: dict[str, Any]
) -> None:
    assert client.get("/api/v1/risk", params=params).status_code == 422


def test_alert_zones_merge_alert_cells_inside_the_clear_zones(
    client: httpx.Client, city: MapCity
) -> None:
    zones = client.get("/api/v1/alert-zones", params={"bbox": CITY_BBOX, "resolution": 9}).json()
    assert zones["alert_threshold"] == 0.6 and zones["clear_threshold"] == 0.5
    assert zones["generation"] >= 1 and zones["resolution"] == 9
    alert = [f for f in zones["features"] if f["properties"]["level"] == "alert"]
    clear = [f for f in zones["features"] if f["properties"]["level"] == "clear"]
    assert alert and clear
    alert_area = unary_union([shape(f["geometry"]) for f in alert])
    clear_area = unary_union([shape(f["geometry"]) for f in clear])
    assert clear_area.buffer(1e-6).covers(alert_area)
    assert alert_area.contains(shape({"type": "Point", "coordinates": list(city.hotspot)}))
    # Two adjacent alert cells merge into one polygon (more than one hexagon's area).
    assert any(f["properties"]["area_km2"] > 0.15 for f in alert)
    assert (
        alert_area.area
        < shape(client.get("/api/v1/neighborhoods").json()["features"][0]["geometry"]).area / 5
    )


def test_alert_zones_default_to_resolution_8_the_honest_level_for_police_data(
    client: httpx.Client,
) -> None:
    zones = client.get("/api/v1/alert-zones", params={"bbox": CITY_BBOX}).json()
    assert zones["resolution"] == 8
    assert (
        client.get("/api/v1/alert-zones", params={"bbox": CITY_BBOX, "resolution": 12}).status_code
        == 422
    )


def test_alert_zones_far_from_the_city_are_empty(client: httpx.Client) -> None:
    zones = client.get("/api/v1/alert-zones", params={"bbox": "11.9,57.6,12.1,57.8"}).json()
    assert zones["features"] == []


def test_alert_zones_answer_304_to_their_etag(client: httpx.Client) -> None:
    first = client.get("/api/v1/alert-zones", params={"bbox": CITY_BBOX})
    again = client.get(
        "/api/v1/alert-zones",
        params={"bbox": CITY_BBOX},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "bbox",
    [
        "17,59,18.5,59.5",  # wider than the limit
        "18.1,59.3,18.0,59.4",  # min > max
        "18,59,18.1",  # three numbers
        "18,59,18.1,59.1,5",  # five numbers
        "a,b,c,d",
        "18,91,18.1,92",  # latitude out of range
        "",
    ],
)
def test_alert_zones_refuse_a_bad_or_too_large_bbox(client: httpx.Client, bbox: str) -> None:
    response = client.get("/api/v1/alert-zones", params={"bbox": bbox})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
