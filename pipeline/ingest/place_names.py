"""Find gazetteer place names in Swedish text: case, å/ä/ö, genitive -s, compounds.

"i Rinkeby", "på Södermalm", "Rinkebys", "RINKEBY", "Järvaområdet", "Skärholmens centrum" and
"Kungsholmsgatan" all name their place. Matching is on word tokens, longest name first, and
the first word must be capitalised as Swedish writes place names, so that common words
("söder om", "höglandet") do not match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

PlaceT = TypeVar("PlaceT")

_WORD = re.compile(r"[^\W_]+")

# Heads of Swedish compounds that keep the place: "Rinkebyskolan", "Järvaområdet".
_COMPOUND_HEADS = frozenset(
    {
        "området",
        "centrum",
        "torg",
        "torget",
        "skolan",
        "parken",
        "badet",
        "hallen",
        "stationen",
        "station",
        "tunnelbanestation",
        "tunnelbanestationen",
        "pendeltågsstation",
        "pendeltågsstationen",
        "gymnasiet",
        "plan",
        "fältet",
        "gatan",
        "vägen",
        "allé",
    }
)
_ENDS_WITH_HEAD = re.compile("(?:" + "|".join(sorted(_COMPOUND_HEADS)) + ")$")
# Words that turn a place name into something else: "Djurgårdens IF", "Hammarby IF".
_BLOCKING_NEXT_WORDS = frozenset({"if", "ff", "fotboll", "hockey"})
_BLOCKING_NEXT_WORDS_BY_NAME: dict[tuple[str, ...], frozenset[str]] = {
    ("söder",): frozenset({"om", "ut", "ifrån"})
}


@dataclass(frozen=True)
class NameMatch(Generic[PlaceT]):
    """A place named in a text: which place, the words as written, their position."""

    place: PlaceT
    text: str
    start: int


def name_key_words(name: str) -> tuple[str, ...]:
    """The matching key of a place name: its lower-case words."""
    return tuple(word.casefold() for word in _WORD.findall(name))


class PlaceNameIndex(Generic[PlaceT]):
    """Finds the places of a gazetteer named in a text."""

    def __init__(self, names: Iterable[tuple[str, PlaceT, bool]]) -> None:
        """Index (name, place, allow_compounds) triples; longer names win at one position."""
        self._by_first_word: dict[str, list[tuple[tuple[str, ...], PlaceT, bool]]] = {}
        seen: set[tuple[tuple[str, ...], int]] = set()
        for name, place, allow_compounds in names:
            key = name_key_words(name)
            if key and (key, id(place)) not in seen:
                seen.add((key, id(place)))
                self._by_first_word.setdefault(key[0], []).append((key, place, allow_compounds))
        for entries in self._by_first_word.values():
            entries.sort(key=lambda entry: -len(entry[0]))

    def find(self, text: str) -> list[NameMatch[PlaceT]]:
        """Every place named in the text, in reading order, longest name at each position."""
        words = _WORD.findall(text)
        keys = [word.casefold() for word in words]
        spans: list[tuple[int, int]] = []
        found: list[NameMatch[PlaceT]] = []
        i = 0
        while i < len(words):
            first = words[i][0]
            hit = self._match_at(keys, i) if first.isupper() or first.isdigit() else None
            if hit is None:
                i += 1
                continue
            length, places = hit
            # Positions are only needed for the few words that name a place.
            spans = spans or [m.span() for m in _WORD.finditer(text)]
            written = text[spans[i][0] : spans[i + length - 1][1]]
            found.extend(NameMatch(place, written, i) for place in places)
            i += length
        return found

    def _match_at(self, keys: Sequence[str], i: int) -> tuple[int, list[PlaceT]] | None:
        """The longest name starting at word i and every place of that name (an exact word
        is tried before its genitive or compound readings)."""
        for first in _first_word_keys(keys[i]):
            length, places = 0, []
            for key, place, allow_compounds in self._by_first_word.get(first, ()):
                if len(key) < length:
                    break
                if _matches(keys, i, key, allow_compounds) and not _blocked(keys, i, key):
                    length = len(key)
                    places.append(place)
            if places:
                return length, places
        return None


def _first_word_keys(word: str) -> list[str]:
    """Index keys a text word may stand for: itself, its genitive stem, a compound's stem."""
    keys = [word]
    if word.endswith("s"):
        keys.append(word[:-1])
    if not _ENDS_WITH_HEAD.search(word):
        return keys
    for head in _COMPOUND_HEADS:
        if word.endswith(head) and len(word) > len(head) + 2:
            stem = word[: -len(head)]
            keys.extend(
                {stem, stem.rstrip("s-"), stem.rstrip("s-") + "en", stem.rstrip("s-") + "t"}
            )
    return keys


def _matches(keys: Sequence[str], i: int, key: tuple[str, ...], allow_compounds: bool) -> bool:
    if i + len(key) > len(keys):
        return False
    for offset, name_word in enumerate(key):
        word = keys[i + offset]
        if word in (name_word, name_word + "s"):
            continue
        last = offset == len(key) - 1
        if not (last and allow_compounds and _is_compound_of(word, name_word)):
            return False
    return True


def _is_compound_of(word: str, name_word: str) -> bool:
    """Whether `word` is `name_word` + a place-keeping head ("kungsholm(en)" + "s" + "gatan")."""
    stems = {name_word}
    if name_word.endswith(("en", "et")):
        stems.add(name_word[:-2] if name_word.endswith("en") else name_word[:-1])
    for stem in stems:
        if word.startswith(stem):
            rest = word[len(stem) :]
            if rest[:1] in ("s", "-") and rest[1:] in _COMPOUND_HEADS:
                return True
            if rest in _COMPOUND_HEADS:
                return True
    return False


def _blocked(keys: Sequence[str], i: int, key: tuple[str, ...]) -> bool:
    after = i + len(key)
    if after >= len(keys):
        return False
    following = keys[after]
    return following in _BLOCKING_NEXT_WORDS or following in _BLOCKING_NEXT_WORDS_BY_NAME.get(
        key, frozenset()
    )
