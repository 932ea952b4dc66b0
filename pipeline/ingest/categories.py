"""Map source event types (polisen.se's ~97 Swedish types, common English terms) to categories.

Categories are the codes of ref.incident_categories. Police activity (checks, summaries,
notices) and non-crime events (illness, animals, missing persons) are `non_incident`: they
say where the police were, not where people came to harm, and would bias risk toward patrols.
An unknown type becomes `unmapped` (never counts for risk) and is counted as a warning,
never silently dropped.
"""

from __future__ import annotations

import re

CATEGORY_CODES = frozenset(
    {
        "violent",
        "weapons",
        "robbery",
        "theft",
        "vandalism",
        "drugs",
        "traffic",
        "fire",
        "other",
        "non_incident",
        "unmapped",
    }
)
UNKNOWN_TYPE_CATEGORY = "unmapped"

_POLISEN_TYPES_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "violent": (
        "Misshandel",
        "Misshandel, grov",
        "Mord/dråp",
        "Mord/dråp, försök",
        "Våldtäkt",
        "Våldtäkt, försök",
        "Våld/hot mot tjänsteman",
        "Olaga hot",
        "Bråk",
        "Sexualbrott",
        "Sedlighetsbrott",
        "Ofredande/förargelse",
        "Olaga frihetsberövande/människorov",
        "Olaga frihetsberövande",
        "Människorov",
        "Vållande till kroppsskada",
    ),
    "weapons": (
        "Skottlossning",
        "Skottlossning, misstänkt",
        "Vapenlagen",
        "Knivlagen",
        "Explosion",
        "Detonation",
        "Bombhot",
        "Farligt föremål, misstänkt",
    ),
    "robbery": ("Rån", "Rån, försök", "Rån övrigt", "Rån väpnat", "Väskryckning"),
    "theft": (
        "Stöld",
        "Stöld, försök",
        "Stöld/inbrott",
        "Inbrott",
        "Inbrott, försök",
        "Motorfordon, stöld",
        "Häleri",
        "Åldringsbrott",
        "Fickstöld",
        "Stöld, ringa",
    ),
    "vandalism": ("Skadegörelse", "Sabotage mot blåljusverksamhet", "Klotter"),
    "drugs": ("Narkotikabrott",),
    "traffic": (
        "Rattfylleri",
        "Trafikolycka",
        "Trafikolycka, personskada",
        "Trafikolycka, singel",
        "Trafikolycka, smitning från",
        "Trafikolycka, vilt",
        "Trafikbrott",
        "Trafikhinder",
        "Olovlig körning",
    ),
    "fire": ("Brand", "Brand automatlarm", "Mordbrand"),
    "other": (
        "Övrigt",
        "Bedrägeri",
        "Ekobrott",
        "Fylleri/LOB",
        "Alkohollagen",
        "Olaga intrång",
        "Hemfridsbrott",
        "Olaga intrång/Hemfridsbrott",
        "Förfalskningsbrott",
        "Ofog barn/ungdom",
        "Hets mot folkgrupp",
        "Larm Inbrott",
        "Larm Överfall",
        "Missbruk av urkund",
        "Miljöbrott",
        "Ordningslagen",
        "Skyddslagen",
        "Smällar",
        "Räddningsinsats",
        "Sjölagen",
        "Luftfartslagen",
        "Anträffad död",
    ),
    "non_incident": (
        "Information",
        "Uppdatering",
        "Polisinsats/kommendering",
        "Kontroll person/fordon",
        "Kontroll",
        "Trafikkontroll",
        "Efterlyst person",
        "Försvunnen person",
        "Anträffat gods",
        "Motorfordon, anträffat stulet",
        "Sjukdom/olycksfall",
        "Arbetsplatsolycka",
        "Djur",
        "Varningslarm/haveri",
        "Utlänningslagen",
        "Naturkatastrof",
        "Fjällräddning",
        "Spridning smittsamma kemikalier",
        "Gränskontroll",
        "Lagen om hundar och katter",
        "Tillfälligt obemannat",
        "Sammanfattning natt",
        "Sammanfattning dag",
        "Sammanfattning dygn",
        "Sammanfattning kväll",
        "Sammanfattning kväll och natt",
        "Sammanfattning förmiddag",
        "Sammanfattning eftermiddag",
        "Sammanfattning helg",
        "Sammanfattning vecka",
    ),
}

POLISEN_TYPE_CATEGORIES: dict[str, str] = {
    event_type.casefold(): category
    for category, event_types in _POLISEN_TYPES_BY_CATEGORY.items()
    for event_type in event_types
}

# Polisen's summaries come as "Sammanfattning natt", "Sammanfattning kväll och natt", ...
_NON_INCIDENT_PREFIXES = ("sammanfattning",)

# Common words in other cities' open incident data (English), checked in this order.
_ENGLISH_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("robbery", "robbery"),
    ("homicide", "violent"),
    ("murder", "violent"),
    ("assault", "violent"),
    ("battery", "violent"),
    ("sexual", "violent"),
    ("rape", "violent"),
    ("shooting", "weapons"),
    ("weapon", "weapons"),
    ("firearm", "weapons"),
    ("burglary", "theft"),
    ("larceny", "theft"),
    ("theft", "theft"),
    ("stolen", "theft"),
    ("vandalism", "vandalism"),
    ("criminal damage", "vandalism"),
    ("graffiti", "vandalism"),
    ("arson", "fire"),
    ("fire", "fire"),
    ("narcotic", "drugs"),
    ("drug", "drugs"),
    ("traffic", "traffic"),
    ("collision", "traffic"),
    ("dui", "traffic"),
)


# A keyword starts a word ("drug" matches "drugs", "dui" does not match "conduit").
_ENGLISH_PATTERNS = tuple((re.compile(r"\b" + re.escape(k)), c) for k, c in _ENGLISH_KEYWORDS)


def category_of_type(event_type: str) -> str | None:
    """The category of a source type, or None when the type is unknown."""
    key = " ".join(event_type.split()).casefold()
    if key in POLISEN_TYPE_CATEGORIES:
        return POLISEN_TYPE_CATEGORIES[key]
    if key.startswith(_NON_INCIDENT_PREFIXES):
        return "non_incident"
    if key in CATEGORY_CODES:
        return key
    for pattern, category in _ENGLISH_PATTERNS:
        if pattern.search(key):
            return category
    return None
