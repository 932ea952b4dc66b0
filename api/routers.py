"""Every router of the API in one list, in the order routes are matched.

A new route module adds its router here (and nowhere else); `create_app` includes them all.
"""

from __future__ import annotations

from fastapi import APIRouter

from api import metrics
from api.reports import analysis, moderation, submission
from api.routes import (
    admin,
    alert_zones,
    cities,
    devices,
    health,
    incidents,
    legend,
    model,
    neighborhoods,
    privacy,
    risk_at_point,
    web_map,
)
from api.tiles import glyphs, tilejson
from api.tiles import routes as tile_routes

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    admin.router,
    model.router,
    metrics.router,
    # Reports from the app: submission, cross-source statistics and clusters, moderation.
    submission.router,
    analysis.router,
    moderation.router,
    devices.router,
    # Privacy: erasure of a report or a device's data (admin).
    privacy.router,
    # The incident feed and how fresh the data is.
    incidents.router,
    # The map: tiles, TileJSON and style, glyphs, the legend, the cities, neighbourhoods, risk
    # at a point, alert zones, web map.
    tile_routes.router,
    tilejson.router,
    glyphs.router,
    legend.router,
    cities.router,
    neighborhoods.router,
    risk_at_point.router,
    alert_zones.router,
    web_map.router,
)
