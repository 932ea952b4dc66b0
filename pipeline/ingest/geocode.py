"""Locate an event: the most precise place the text supports, else the title's municipality.

Rules (documented in docs/ingestion.md):
- The title's last part names the municipality (or only the county). Only places inside it
  count; a county-only title lets any place, district or municipality of the county count.
- A county-only event naming places in several municipalities (a round-up of the day's
  traffic offences, say) stays at county level.
- The first place mentioned (in the summary, then in the page text) is the primary
  location: police texts name the scene first and later places (where someone was caught,
  which hospital) after it. A later mention inside the primary (Medborgarplatsen inside
  Södermalm, Rinkeby inside Järva) refines it; a second district elsewhere does not.
- The API's `gps` is never used: it is a fixed centroid per place name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.ingest.counties import county_code_of_name
from pipeline.ingest.place_names import NameMatch, PlaceNameIndex

_POLYGON_KINDS = frozenset({"district", "municipality", "county", "area"})
# Names of municipalities and counties keep their form in compounds ("Huddingevägen" is in
# Stockholm): only districts and named places are matched inside compound words.
_NO_COMPOUND_KINDS = frozenset({"municipality", "county"})


@dataclass(frozen=True)
class GazetteerEntry:
    """A place the geocoder knows (a row of the ref.gazetteer view)."""

    place_id: int
    name: str
    kind: str
    aliases: tuple[str, ...]
    district_id: int | None
    district_ids: frozenset[int]
    municipality_code: str | None
    county_code: str | None
    centre: tuple[float, float]
    extent_m: float


@dataclass(frozen=True)
class Location:
    """Where an incident is known to be: the support class and the reference defining it."""

    support: str
    county_code: str | None
    municipality_code: str | None = None
    district_id: int | None = None
    place_id: int | None = None
    point: tuple[float, float] | None = None
    radius_m: float | None = None
    evidence: str | None = None


@dataclass(frozen=True)
class TitleScope:
    """What the title says: a municipality, or only a county."""

    county_code: str
    municipality_code: str | None


class Geocoder:
    """Matches titles and texts against the gazetteer."""

    def __init__(self, entries: Iterable[GazetteerEntry]) -> None:
        """Build the name index and the municipality and county lookups of the entries."""
        self.entries = list(entries)
        self._index = PlaceNameIndex(
            (name, entry, entry.kind not in _NO_COMPOUND_KINDS)
            for entry in self.entries
            for name in (entry.name, *entry.aliases)
        )
        self._scopes: dict[str, TitleScope] = {}
        for entry in self.entries:
            if entry.kind == "municipality" and entry.municipality_code and entry.county_code:
                scope = TitleScope(entry.county_code, entry.municipality_code)
            elif entry.kind == "county" and entry.county_code:
                scope = TitleScope(entry.county_code, None)
            else:
                continue
            for name in (entry.name, *entry.aliases):
                self._scopes[_scope_key(name)] = scope

    def title_scope(self, place_name: str) -> TitleScope | None:
        """The municipality or county a title names (case-insensitive), if known."""
        scope = self._scopes.get(_scope_key(place_name))
        if scope is None and (county_code := county_code_of_name(place_name)) is not None:
            scope = TitleScope(county_code, None)
        return scope

    def find_names(self, text: str) -> list[NameMatch[GazetteerEntry]]:
        """Every gazetteer name found in a text, in reading order, whatever its scope."""
        return self._index.find(text)

    def locate(self, scope: TitleScope, texts: Sequence[tuple[str, str]]) -> Location:
        """The most precise location the (source, text) pairs support within the scope."""
        mentions = [
            (source, match)
            for source, text in texts
            if text
            for match in self._index.find(text)
            if _in_scope(match.place, scope)
        ]
        if not mentions or _spans_municipalities(scope, [m.place for _, m in mentions]):
            return _scope_location(scope)
        primary_source, primary = mentions[0]
        best_source, best = primary_source, primary
        for source, match in mentions[1:]:
            if _lies_within(match.place, primary.place) and (
                match.place.extent_m < best.place.extent_m
            ):
                best_source, best = source, match
        return _entry_location(best.place, f"{best.text} ({best_source})")


def _scope_key(name: str) -> str:
    return " ".join(name.replace("-", " ").split()).casefold()


def _in_scope(entry: GazetteerEntry, scope: TitleScope) -> bool:
    if scope.municipality_code is not None:
        return entry.municipality_code == scope.municipality_code and entry.kind not in (
            "municipality",
            "county",
        )
    return entry.county_code == scope.county_code and entry.kind != "county"


def _spans_municipalities(scope: TitleScope, places: list[GazetteerEntry]) -> bool:
    """Whether a county-only event names places in several municipalities (a round-up)."""
    if scope.municipality_code is not None:
        return False
    return len({place.municipality_code for place in places}) > 1


def _lies_within(inner: GazetteerEntry, outer: GazetteerEntry) -> bool:
    """Whether a place lies inside another (by municipality or by the districts it touches)."""
    if inner.place_id == outer.place_id:
        return False
    if outer.kind == "municipality":
        return inner.municipality_code == outer.municipality_code
    if outer.kind in _POLYGON_KINDS and outer.district_ids and inner.district_ids:
        return inner.district_ids <= outer.district_ids
    return False


def _scope_location(scope: TitleScope) -> Location:
    if scope.municipality_code is None:
        return Location("county", scope.county_code)
    return Location("municipality", scope.county_code, municipality_code=scope.municipality_code)


def _entry_location(entry: GazetteerEntry, evidence: str) -> Location:
    if entry.kind == "district":
        return Location(
            "district",
            entry.county_code,
            municipality_code=entry.municipality_code,
            district_id=entry.district_id,
            evidence=evidence,
        )
    if entry.kind == "municipality":
        return Location(
            "municipality",
            entry.county_code,
            municipality_code=entry.municipality_code,
            evidence=evidence,
        )
    return Location(
        "place",
        entry.county_code,
        municipality_code=entry.municipality_code,
        district_id=entry.district_id,
        place_id=entry.place_id,
        point=entry.centre,
        radius_m=round(entry.extent_m, 1),
        evidence=evidence,
    )
