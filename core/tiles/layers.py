"""The allow-list of tile layers: SQL function, zoom range and fields of each (for TileJSON)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from psycopg import sql

# Zoom limits of the tile matrix itself; beyond these no layer has tiles.
MAX_ZOOM = 22


@dataclass(frozen=True)
class Layer:
    """One vector tile layer, served by tiles.tile_<name>(z, x, y)."""

    name: str
    minzoom: int
    maxzoom: int
    description: str
    fields: dict[str, str]

    @cached_property
    def query(self) -> str:
        """SELECT of the layer's tile function, z/x/y bound as parameters. Composed once, as
        text: psycopg caches the conversion of a text query, not of a Composed one."""
        function = sql.Identifier("tiles", f"tile_{self.name}")
        return sql.SQL("SELECT {}(%s, %s, %s)").format(function).as_string()

    @cached_property
    def prepared_query(self) -> str:
        """The same SELECT with numbered parameters, for a statement prepared by name
        (api/prepared_value.py): the parameters go as text, hence the casts."""
        function = sql.Identifier("tiles", f"tile_{self.name}")
        return sql.SQL("SELECT {}($1::int, $2::int, $3::int)").format(function).as_string()

    def has_tile(self, z: int, x: int, y: int) -> bool:
        """Whether z/x/y is a tile of this layer's zoom range and of the tile matrix."""
        return self.minzoom <= z <= self.maxzoom and 0 <= x < 2**z and 0 <= y < 2**z


RISK_FIELDS = {
    "h3": "H3 cell index (hex text); the feature id is the same cell as a 64-bit integer",
    "resolution": "H3 resolution: 7 up to zoom 9, 8 at zoom 10-11, 9 from zoom 12",
    "risk_score": "RR_lo / (k + RR_lo) in [0, 1], k the city's reference multiple (legend:"
    " cities); 0.6 = at least 1.5k x the city rate, confidently",
    "relative_risk": "Reported incident rate against the city-wide rate (1 = the city rate)",
    "rr_lower": "Lower bound of the relative risk (5%)",
    "rr_upper": "Upper bound of the relative risk (95%)",
    "evidence": "point (exactly located incidents), inferred (spread from district-level "
    "locations) or none",
    "district_id": "Neighbourhood (district) id",
    "trend": "Recent against previous incident mass (1 = flat)",
}
DISTRICT_FIELDS = {
    "name": "Neighbourhood (stadsdel) name",
    "risk_score": "District risk score, same meaning as in the risk layer",
    "relative_risk": "Reported incident rate against the city-wide rate",
    "rr_lower": "Lower bound of the relative risk (5%)",
    "rr_upper": "Upper bound of the relative risk (95%)",
    "evidence": "point, inferred or none",
    "incidents": "Located incidents in the risk window",
    "trend": "Recent against previous incident mass (1 = flat)",
}
INCIDENT_FIELDS = {
    "count": "Below zoom 16, and at 16 where a tile holds more than 2,000 incidents: "
    "incidents in the H3 cell (one point per cell, at its centre)",
    "places": "With count: of which located at a named place",
    "h3": "With count: the H3 cell (hex text); the feature id is the cell as an integer",
    "resolution": "With count: H3 resolution of the cell (8 at zoom 13, 9 from 14)",
    "category": "From zoom 16: incident category (violent, theft, ...)",
    "week": "From zoom 16: ISO week of the incident, in the city's time zone (e.g. 2025-W26)",
    "month": "From zoom 16: month of the incident, in the city's time zone (e.g. 2025-06)",
    "precision": "From zoom 16: point (exact position) or place (a named place's position; "
    "see radius_m)",
    "radius_m": "From zoom 16: uncertainty radius in metres (0 if unknown)",
}

STREET_FIELDS = {
    "name": "Street name (OpenStreetMap), null for unnamed ways",
    "class": "motorway (incl. trunk), primary, secondary, tertiary or minor (residential, "
    "unclassified, living street); from zoom 8, 10, 11, 12 and 13 respectively",
}
DISTRICT_LABEL_FIELDS = {
    "name": "Neighbourhood (stadsdel) name",
    "area_km2": "Area of the neighbourhood in km2 (larger ones are labelled first)",
}

LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            "risk",
            8,
            16,
            "Risk per H3 cell: higher reported incident rate than the city, with an interval",
            RISK_FIELDS,
        ),
        Layer("districts", 6, 16, "Neighbourhoods (stadsdelar) with their risk", DISTRICT_FIELDS),
        Layer(
            "incidents",
            13,
            16,
            "Located incidents of the risk window: counts per H3 cell below zoom 16 (and in "
            "zoom-16 tiles of more than 2,000 incidents); else points with category, week, "
            "month and precision only",
            INCIDENT_FIELDS,
        ),
        # The base map (basemap schema, `halo load basemap`).
        Layer("water", 8, 16, "Water (Stockholms stad, CC0)", {}),
        Layer("streets", 8, 16, "Streets (© OpenStreetMap contributors, ODbL)", STREET_FIELDS),
        Layer(
            "district_labels",
            10,
            16,
            "A label point inside each neighbourhood",
            DISTRICT_LABEL_FIELDS,
        ),
    )
}


def layer_named(name: str) -> Layer | None:
    """The allow-listed layer of this name, or None."""
    return LAYERS.get(name)
