"""Locating events from Swedish text: inflections, case, compounds, two places, scope rules."""

from __future__ import annotations

import pytest

from pipeline.ingest.geocode import GazetteerEntry, Geocoder, TitleScope


def entry(
    place_id: int,
    name: str,
    kind: str,
    *,
    districts: tuple[int, ...] = (),
    municipality: str | None = "0180",
    aliases: tuple[str, ...] = (),
    extent_m: float = 1500.0,
) -> GazetteerEntry:
    single = districts[0] if len(districts) == 1 else None
    return GazetteerEntry(
        place_id=place_id,
        name=name,
        kind=kind,
        aliases=aliases,
        district_id=single,
        district_ids=frozenset(districts),
        municipality_code=municipality,
        county_code=municipality[:2] if municipality else "01",
        centre=(18.0 + place_id / 1000, 59.3),
        extent_m=extent_m,
    )


GAZETTEER = [
    entry(1, "Rinkeby", "district", districts=(1,)),
    entry(2, "Tensta", "district", districts=(2,)),
    entry(3, "Södermalm", "district", districts=(3,), aliases=("Söder",), extent_m=2500),
    entry(4, "Kista", "district", districts=(4,)),
    entry(5, "Djurgården", "district", districts=(5,)),
    entry(6, "Skärholmen", "district", districts=(6,)),
    entry(7, "Norra Djurgården", "district", districts=(7,)),
    entry(10, "Järva", "area", districts=(1, 2, 4), extent_m=4000),
    entry(11, "Medborgarplatsen", "square", districts=(3,), extent_m=120),
    entry(12, "Rinkeby torg", "square", districts=(1,), extent_m=150),
    entry(13, "T-Centralen", "station", districts=(8,), extent_m=250),
    entry(20, "Stockholm", "municipality"),
    entry(21, "Solna", "municipality", municipality="0184"),
    entry(22, "Upplands Väsby", "municipality", municipality="0114"),
    entry(23, "Upplands-Bro", "municipality", municipality="0139"),
    entry(24, "Huddinge", "municipality", municipality="0126"),
    entry(30, "Stockholms län", "county", municipality=None),
]
GEOCODER = Geocoder(GAZETTEER)
STOCKHOLM = TitleScope("01", "0180")
COUNTY = TitleScope("01", None)


def evidence_of(text: str, scope: TitleScope = STOCKHOLM) -> str | None:
    location = GEOCODER.locate(scope, [("summary", text)])
    return location.evidence


@pytest.mark.parametrize(
    "text",
    [
        "Misshandel i Rinkeby.",
        "En man greps i RINKEBY under natten.",
        "Rinkebys centrum var avspärrat.",
        "Brand på Rinkebyskolan.",
        "Polisen i rinkeby-området, Rinkeby-området.",
    ],
)
def test_a_district_is_found_in_its_cases_and_inflections(text: str) -> None:
    location = GEOCODER.locate(STOCKHOLM, [("summary", text)])
    assert location.support == "district"
    assert location.district_id == 1


def test_compound_with_a_truncated_stem_names_the_district() -> None:
    assert evidence_of("Bråk vid Skärholmstorget.") == "Skärholmstorget (summary)"


def test_an_alias_names_its_district_but_a_lower_case_common_word_does_not() -> None:
    assert GEOCODER.locate(STOCKHOLM, [("summary", "Rån på Söder.")]).district_id == 3
    assert evidence_of("En bil körde söder om stan.") is None
    assert evidence_of("Söder om tullen stod en bil.") is None


def test_a_football_club_named_after_a_district_is_not_a_place() -> None:
    assert evidence_of("Supportrar till Djurgårdens IF samlades.") is None
    assert evidence_of("Bråk på Djurgården.") == "Djurgården (summary)"


def test_the_longest_name_wins_at_one_position() -> None:
    location = GEOCODER.locate(STOCKHOLM, [("summary", "Olycka på Norra Djurgården.")])
    assert location.district_id == 7


def test_of_two_districts_the_first_mentioned_is_the_scene() -> None:
    text = "En man skottskadades i Tensta. Gärningsmannen greps senare i Rinkeby."
    location = GEOCODER.locate(STOCKHOLM, [("summary", text)])
    assert (location.support, location.district_id) == ("district", 2)


def test_a_place_inside_the_first_district_refines_it() -> None:
    texts = [("summary", "Misshandel på Södermalm."), ("page", "Det skedde på Medborgarplatsen.")]
    location = GEOCODER.locate(STOCKHOLM, texts)
    assert location.support == "place"
    assert location.place_id == 11
    assert location.district_id == 3
    assert location.radius_m == 120
    assert location.point is not None
    assert location.evidence == "Medborgarplatsen (page)"


def test_a_district_inside_an_area_refines_it() -> None:
    location = GEOCODER.locate(STOCKHOLM, [("summary", "Skottlossning i Järva, i Rinkeby.")])
    assert (location.support, location.district_id) == ("district", 1)


def test_a_place_outside_the_first_district_does_not_refine_it() -> None:
    text = "Rån på Södermalm. Gärningsmannen greps vid T-Centralen."
    location = GEOCODER.locate(STOCKHOLM, [("summary", text)])
    assert (location.support, location.district_id) == ("district", 3)


def test_an_area_alone_is_place_support_without_a_single_district() -> None:
    location = GEOCODER.locate(STOCKHOLM, [("summary", "Polisen i Järvaområdet grep två.")])
    assert (location.support, location.place_id, location.district_id) == ("place", 10, None)


def test_stockholm_places_are_ignored_when_the_title_names_another_municipality() -> None:
    location = GEOCODER.locate(TitleScope("01", "0184"), [("summary", "Bråk i Rinkeby.")])
    assert (location.support, location.municipality_code) == ("municipality", "0184")


def test_without_a_place_in_the_text_the_title_municipality_is_the_location() -> None:
    location = GEOCODER.locate(STOCKHOLM, [("summary", "En man greps.")])
    assert (location.support, location.municipality_code, location.county_code) == (
        "municipality",
        "0180",
        "01",
    )


def test_county_only_event_is_located_by_the_district_in_its_text() -> None:
    location = GEOCODER.locate(COUNTY, [("summary", "Skottlossning i Tensta.")])
    assert (location.support, location.district_id, location.municipality_code) == (
        "district",
        2,
        "0180",
    )


def test_county_only_event_is_located_by_a_municipality_in_its_text() -> None:
    location = GEOCODER.locate(COUNTY, [("summary", "Stöld i en butik i Solna.")])
    assert (location.support, location.municipality_code) == ("municipality", "0184")


def test_county_only_round_up_of_several_municipalities_stays_at_county() -> None:
    text = "Trafikbrott i Huddinge, Solna och Stockholm under förmiddagen."
    location = GEOCODER.locate(COUNTY, [("summary", text)])
    assert (location.support, location.county_code) == ("county", "01")


def test_roads_named_after_a_municipality_do_not_name_it() -> None:
    location = GEOCODER.locate(COUNTY, [("summary", "Olycka på Huddingevägen.")])
    assert location.support == "county"


def test_title_places_match_whatever_their_case_and_hyphens() -> None:
    assert GEOCODER.title_scope("Upplands väsby") == TitleScope("01", "0114")
    assert GEOCODER.title_scope("Upplands-bro") == TitleScope("01", "0139")
    assert GEOCODER.title_scope("STOCKHOLM") == STOCKHOLM
    assert GEOCODER.title_scope("Stockholms län") == COUNTY
    assert GEOCODER.title_scope("Hallands län") == TitleScope("13", None)
    assert GEOCODER.title_scope("Atlantis") is None


def test_the_county_name_is_not_read_as_the_genitive_of_stockholm() -> None:
    location = GEOCODER.locate(COUNTY, [("summary", "Fler bränder i Stockholms län i år.")])
    assert location.support == "county"
