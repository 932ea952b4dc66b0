"""The location-quality report of polisen.se events (view raw.polisen_location_quality)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class LocationQuality:
    """How precisely the events of one title municipality are located."""

    title_municipality: str
    municipality_code: str | None
    events: int
    place_events: int
    district_events: int
    municipality_events: int
    county_events: int
    district_or_finer_events: int
    district_or_finer_pct: float


def city_municipalities(conn: psycopg.Connection) -> dict[str, str]:
    """City name by the SCB code of each municipality a city covers (ref.cities)."""
    rows = conn.execute(
        "SELECT m.code, c.name FROM ref.cities c, unnest(c.municipality_codes) AS m(code)"
        " ORDER BY c.id, m.code"
    ).fetchall()
    return {code: name for code, name in rows}


def location_quality(conn: psycopg.Connection) -> list[LocationQuality]:
    """The report's rows, most events first."""
    rows = conn.execute(
        """
        SELECT title_municipality, municipality_code, events, place_events, district_events,
               municipality_events, county_events, district_or_finer_events,
               district_or_finer_pct
          FROM raw.polisen_location_quality
         ORDER BY events DESC, title_municipality
        """
    ).fetchall()
    return [
        LocationQuality(
            title_municipality=row[0],
            municipality_code=row[1],
            events=row[2],
            place_events=row[3],
            district_events=row[4],
            municipality_events=row[5],
            county_events=row[6],
            district_or_finer_events=row[7],
            district_or_finer_pct=float(row[8]),
        )
        for row in rows
    ]


def municipality_share_pct(rows: list[LocationQuality], code: str) -> float | None:
    """Share (%) of one municipality's events located to a district or finer."""
    for row in rows:
        if row.municipality_code == code:
            return row.district_or_finer_pct
    return None


def format_location_quality(rows: list[LocationQuality], cities: dict[str, str]) -> str:
    """A plain-text table of the report, with each city municipality's share on a last line
    (cities: city name by municipality code, from city_municipalities)."""
    header = f"{'title municipality':<22}{'events':>8}{'place':>7}{'district':>9}"
    header += f"{'municip.':>9}{'county':>8}{'≤district':>10}{'%':>7}"
    lines = [header]
    for row in rows:
        lines.append(
            f"{row.title_municipality[:21]:<22}{row.events:>8}{row.place_events:>7}"
            f"{row.district_events:>9}{row.municipality_events:>9}{row.county_events:>8}"
            f"{row.district_or_finer_events:>10}{row.district_or_finer_pct:>7.1f}"
        )
    for code, city in cities.items():
        share = municipality_share_pct(rows, code)
        if share is not None:
            lines.append(f"{city} ({code}) events located to a district or finer: {share:.1f}%")
    return "\n".join(lines)
