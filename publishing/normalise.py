"""Text as the guard reads it, with the way back to the text as written.

People who want a post to slip past a filter (or who paste from a PDF) write
``０２０ ７９４６ ００１８``, ``OFFI\u200bCIAL`` or ``ОFFICIAL`` with a Cyrillic O.
:func:`normalise` folds such text into plain ASCII look-alikes: Unicode NFKC,
zero-width and bidi controls removed, digits of any script made ASCII, every
Unicode dash a hyphen and Cyrillic and Greek letters that look Latin made Latin.
ASCII text is returned as it is, so the common case costs one ``isascii``.

Folding changes lengths (a removed zero-width space, a ligature that becomes two
letters), so the result keeps a sparse map from its offsets back to the
original's: a finding in the folded text is shown to the editor where it was
written. Runs of separators are not collapsed here: the guard's patterns accept
any run of spaces, dots and dashes where one separator may stand.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

# Zero-width characters, bidi controls and other invisible format characters
# (Unicode's Default_Ignorable_Code_Point set, the parts seen in text).
INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f"
    "\u3164\ufeff\uffa0"
    + "".join(map(chr, range(0x200B, 0x2010)))  # zero-width space .. RLM
    + "".join(map(chr, range(0x202A, 0x202F)))  # bidi embeddings and overrides
    + "".join(map(chr, range(0x2060, 0x2070)))  # word joiner, bidi isolates
    + "".join(map(chr, range(0xFE00, 0xFE10)))  # variation selectors
)

# Unicode's dashes (general category Pd) and the minus signs, NFKC leaves most.
DASHES = (
    "\u058a\u05be\u1400\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212"
    "\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d\u301c\u3030\u30a0\ufe31\ufe32\ufe58"
    "\ufe63\uff0d\U00010ead"
)

# Cyrillic and Greek letters that look like Latin ones (from Unicode's
# confusables.txt, the single-letter entries for these scripts).
LOOK_ALIKES = {
    # Cyrillic capitals and small letters
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "І": "I",
    "Ј": "J", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Ѕ": "S", "Т": "T", "У": "Y", "Х": "X", "Ү": "Y", "Ԁ": "D", "Ԛ": "Q",
    "Ԝ": "W", "Ӏ": "I", "а": "a", "в": "b", "е": "e", "ё": "e", "і": "i",
    "ј": "j", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "ѕ": "s", "т": "t", "у": "y", "х": "x", "ү": "y", "ԁ": "d", "ԛ": "q",
    "ԝ": "w", "ӏ": "l", "һ": "h", "ɡ": "g",
    # Greek capitals and small letters
    "Α": "A", "Β": "B", "Ε": "E", "Ι": "I", "Ζ": "Z", "Η": "H", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "α": "a",
    "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "ϲ": "c", "ϳ": "j",
}  # fmt: skip
_FOLD = str.maketrans({**LOOK_ALIKES, **dict.fromkeys(DASHES, "-")})
_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


@lru_cache(maxsize=4096)
def fold_character(char: str) -> str:
    """What one non-ASCII character reads as: possibly nothing or several."""
    if char in INVISIBLE:
        return ""
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    return unicodedata.normalize("NFKC", char).translate(_FOLD)


@dataclass(frozen=True)
class Normalised:
    """Folded ``text`` and the map back to ``original``.

    Each folded character that came from a character folded to more or fewer
    characters lies in a *chunk*: ``folded_starts[i]``..``folded_ends[i]`` in
    ``text`` came from ``original_starts[i]``..``original_starts[i] + 1`` in
    ``original``. Between chunks each character came from one character: the
    same, or its look-alike.
    """

    text: str
    original: str
    folded_starts: list[int] = field(default_factory=list)
    folded_ends: list[int] = field(default_factory=list)
    original_starts: list[int] = field(default_factory=list)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of ``original`` that ``text[start:end]`` came from."""
        return self._original_char(start)[0], self._original_char(end - 1)[1]

    def _original_char(self, index: int) -> tuple[int, int]:
        chunk = bisect_right(self.folded_starts, index) - 1
        if chunk < 0:
            return index, index + 1
        start = self.original_starts[chunk]
        if index < self.folded_ends[chunk]:
            return start, start + 1
        copied = start + 1 + index - self.folded_ends[chunk]
        return copied, copied + 1


_ASCII_BYTES = bytes(range(128))
#: Replacing one character throughout costs about a thousandth of what folding
#: one character by itself does, per character of the text.
_REPLACE_COST = 1 / 1000


def normalise(text: str) -> Normalised:
    """``text`` folded for matching (see the module's docstring), in time linear
    in its length; ASCII text comes back unchanged with an empty map."""
    if text.isascii():
        return Normalised(text, text)
    # The characters outside ASCII, in order: the UTF-8 form less its ASCII.
    wide = (
        text.encode("utf-8", "surrogatepass")
        .translate(None, _ASCII_BYTES)
        .decode("utf-8", "surrogatepass")
    )
    changed = {c: f for c in set(wide) if (f := fold_character(c)) != c}
    if not changed:
        return Normalised(text, text)
    chained = any(c in changed for folded in changed.values() for c in folded)
    if chained or len(changed) * len(text) * _REPLACE_COST > len(wide):
        return _fold_each(text)
    folded = text
    for char, fold in changed.items():
        folded = folded.replace(char, fold)
    # Only characters folded to more or fewer characters move what follows.
    resized = [char for char, fold in changed.items() if len(fold) != 1]
    positions = sorted(
        m.start() for char in resized for m in re.finditer(re.escape(char), text)
    )
    starts, ends = [], []
    shift = 0
    for position in positions:
        size = len(changed[text[position]])
        starts.append(position + shift)
        ends.append(position + shift + size)
        shift += size - 1
    return Normalised(folded, text, starts, ends, positions)


def _fold_each(text: str) -> Normalised:
    """:func:`normalise` one character outside ASCII at a time: for text with
    few such characters, or many different ones."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    originals: list[int] = []
    copied_from = folded_at = 0
    for run in _NOT_ASCII.finditer(text):
        pieces.append(text[copied_from : run.start()])
        folded_at += run.start() - copied_from
        for offset, char in enumerate(run.group(), start=run.start()):
            folded = fold_character(char)
            if len(folded) != 1:
                starts.append(folded_at)
                originals.append(offset)
                ends.append(folded_at + len(folded))
            folded_at += len(folded)
            pieces.append(folded)
        copied_from = run.end()
    pieces.append(text[copied_from:])
    return Normalised("".join(pieces), text, starts, ends, originals)
