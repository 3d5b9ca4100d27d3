"""Finding words and phrases from the protocol settings (protective markings,
embargo words, the blocklist, political terms), whole words in any case.

:func:`phrase_pattern` is the whole rule as one pattern; :func:`phrase_finder`
finds exactly what it finds, faster on long text: it reads the lower-case view
(:mod:`publishing.text_views`) with one pattern per first letter, each starting with
the literal characters its terms share, and leaves out the letter by letter
spellings when no such spelling can occur in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby

from .finders import Finder, Part, earliest
from .normalise import normalise
from .text_views import TextViews

#: What may stand between the words of a phrase, and between spelt-out letters.
SEPARATORS = r"[\s._/\-]+"
_BOUNDARY_AFTER = r"(?![^\W_])"
# Three letters spelt out, in the shape view (letters "a", separators " "): the
# second is alone between separators. No letter by letter spelling of three or
# more letters can match where this finds nothing.
_SPELT_OUT = re.compile(r" a +a(?![^\W_])")


@dataclass(frozen=True)
class Alternative:
    """One way a term may be written, as part of the rule's pattern.

    ``source`` is its pattern; ``head`` the characters every match of it
    starts with, in lower case; ``spelt`` says it is three or more ASCII
    letters spelt out one by one.
    """

    source: str
    head: str
    spelt: bool


@lru_cache(maxsize=64)  # the same phrases for every post, changed rarely
def alternatives(terms: tuple[str, ...], plurals: bool = False) -> tuple:
    """The ways of writing ``terms``, in the order the pattern tries them: the
    longest first, so TOP SECRET is found as that and not as SECRET."""
    found: dict[str, Alternative] = {}
    suffix = "(?:e?s)?" if plurals else ""
    for term in terms:
        words = [w for w in re.split(SEPARATORS, normalise(term).text) if w]
        if not words:
            continue
        source = SEPARATORS.join(map(re.escape, words)) + suffix
        found.setdefault(source, Alternative(source, words[0], False))
        letters = "".join(words)
        if len(letters) >= 3:
            source = SEPARATORS.join(map(re.escape, letters))
            spelt = letters.isascii() and letters.isalpha()
            found[source] = Alternative(source, letters[0], spelt)
    ordered = sorted(found, key=len, reverse=True)
    return tuple(found[source] for source in ordered)


@lru_cache(maxsize=64)
def phrase_pattern(terms: tuple[str, ...], plurals: bool = False) -> re.Pattern | None:
    """One pattern finding any of ``terms``, whole words, in any case.

    Any run of spaces, dots, dashes, underscores and slashes may stand between
    the words ("OFFICIAL_SENSITIVE", "OFFICIAL / SENSITIVE"), and a term may be
    spelt out letter by letter ("S E C R E T"). The longest term is tried first,
    so TOP SECRET is found as that and not as SECRET.
    """
    ways = alternatives(terms, plurals)
    if not ways:
        return None
    body = "|".join(way.source for way in ways)
    return re.compile(rf"(?<![^\W_])(?:{body}){_BOUNDARY_AFTER}", re.IGNORECASE)


def phrase_finder(terms: tuple[str, ...], plurals: bool = False) -> Finder | None:
    """A finder of exactly what :func:`phrase_pattern` finds, or ``None`` when
    there are no terms."""
    ways = alternatives(terms, plurals)
    if not ways:
        return None
    if not all(way.source.isascii() for way in ways):
        # Letters outside ASCII have case rules of their own: read the text.
        pattern = phrase_pattern(terms, plurals)
        return lambda views: (m.span() for m in pattern.finditer(views.text))
    lowered = tuple(
        Alternative(way.source.lower(), way.head.lower(), way.spelt) for way in ways
    )

    # The ways to read a text with spelt-out letters ("S E C R E T") and
    # without, worked out once for the rule rather than for every text.
    every_way = _by_first_letter(lowered)
    written_ways = _by_first_letter(tuple(way for way in lowered if not way.spelt))

    def find(views: TextViews):
        if "spelt_out" not in views.memo:
            views.memo["spelt_out"] = bool(_SPELT_OUT.search(views.shape))
        parts = every_way if views.memo["spelt_out"] else written_ways
        return earliest([Part(pattern, views.lower, first) for first, pattern in parts])

    return find


@lru_cache(maxsize=256)
def _by_first_letter(ways: tuple[Alternative, ...]) -> list[tuple[str, re.Pattern]]:
    """The lower-case alternatives as one pattern per first character, each in
    the rule's order and starting with the characters they all start with
    (returned with it), the boundary before them looked at once those are
    read."""
    patterns = []
    ordered = sorted(ways, key=lambda way: way.head[0])  # stable: keeps the order
    for _, group in groupby(ordered, key=lambda way: way.head[0]):
        group = list(group)
        shared = _shared_start([way.head for way in group])
        literal = re.escape(shared)
        body = "|".join(
            dict.fromkeys(way.source[len(literal) :] for way in group)
        )  # the same spelling twice ("SECRET", "Secret") is tried once
        pattern = rf"{literal}(?<![^\W_]{literal})(?:{body}){_BOUNDARY_AFTER}"
        patterns.append((shared, re.compile(pattern)))
    return patterns


def _shared_start(heads: list[str]) -> str:
    shortest = min(heads, key=len)
    for length in range(len(shortest), 0, -1):
        if all(head.startswith(shortest[:length]) for head in heads):
            return shortest[:length]
    return ""
