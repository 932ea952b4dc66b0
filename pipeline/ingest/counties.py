"""Sweden's 21 counties (län): SCB code and the name polisen.se uses in event titles."""

from __future__ import annotations

COUNTY_NAMES: dict[str, str] = {
    "01": "Stockholms län",
    "03": "Uppsala län",
    "04": "Södermanlands län",
    "05": "Östergötlands län",
    "06": "Jönköpings län",
    "07": "Kronobergs län",
    "08": "Kalmar län",
    "09": "Gotlands län",
    "10": "Blekinge län",
    "12": "Skåne län",
    "13": "Hallands län",
    "14": "Västra Götalands län",
    "17": "Värmlands län",
    "18": "Örebro län",
    "19": "Västmanlands län",
    "20": "Dalarnas län",
    "21": "Gävleborgs län",
    "22": "Västernorrlands län",
    "23": "Jämtlands län",
    "24": "Västerbottens län",
    "25": "Norrbottens län",
}


def county_code_of_name(name: str) -> str | None:
    """The SCB county code of a county name as polisen writes it (case-insensitive)."""
    key = " ".join(name.split()).casefold()
    for code, county in COUNTY_NAMES.items():
        if county.casefold() == key:
            return code
    return None
