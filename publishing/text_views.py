"""Same-length stand-ins for a folded text, so the guard's patterns can start
with a literal character.

Python's ``re`` finds a literal first character quickly (it skips ahead like
``str.find``) but tries a character class, or a look-behind, at every position
of the text: over a megabyte that is the difference between a fraction of a
millisecond and tens. Each view here has the folded text's length, and its
character at ``i`` stands for the text's character at ``i``, so a span found in
a view is the same span of the text:

* ``lower``: ASCII letters in lower case, and the four other letters that
  case-insensitive matching takes for ASCII ones (``İ ı ſ K``) as those;
* ``digits``: every ASCII digit ``0``, whitespace but newlines a space, all
  else as written;
* ``shape``: letters ``a``, digits ``0``, and every separator the patterns
  accept between parts (whitespace, ``. _ / -``) a space;
* ``ni``: the letters a National Insurance number may start with ``n``, the
  others ``x``, digits ``0``, and every other ASCII character (and whitespace)
  a space;
* ``lower_reversed``: ``lower`` backwards, for reading back from a point.

Views are made on first use and kept for the field being checked, as is
``rare``: which of a few characters some patterns start with (``@ [ ( { +``
and newline) the text holds at all, so that a finder need not look for what
is not there.
"""

from __future__ import annotations

from functools import lru_cache
from string import ascii_letters, ascii_lowercase, ascii_uppercase, digits

# Not functools': on Python 3.11 it takes a lock on each first read, and a
# publish reads some sixty views of short texts.
from django.utils.functional import cached_property

#: Letters outside ASCII that ``re.IGNORECASE`` matches with ASCII letters.
CASELESS = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}
#: ASCII characters ``\s`` matches in a ``str`` pattern.
ASCII_SPACES = "\t\n\v\f\r\x1c\x1d\x1e\x1f "
#: Characters outside ASCII ``\s`` matches (Unicode's White_Space set).
WIDE_SPACES = (
    "\x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)


def _byte_table(mapping: dict[str, str]) -> bytes:
    """A ``bytes.translate`` table changing ASCII characters as ``mapping`` says
    and leaving every other byte (so every character outside ASCII) alone."""
    table = bytearray(range(256))
    for old, new in mapping.items():
        table[ord(old)] = ord(new)
    return bytes(table)


_LOWER = _byte_table(dict(zip(ascii_uppercase, ascii_lowercase, strict=True)))
_DIGITS = _byte_table(
    {**dict.fromkeys(ASCII_SPACES.replace("\n", ""), " "), **dict.fromkeys(digits, "0")}
)
_SHAPE = _byte_table(
    {
        **dict.fromkeys(ascii_letters, "a"),
        **dict.fromkeys(digits, "0"),
        **dict.fromkeys(ASCII_SPACES + "._/-", " "),
    }
)

# HMRC never issues D, F, I, Q, U or V in a prefix (O only first: the finder
# checks that, and the suffix, on the text).
_NI_LETTERS = {
    letter: "x" if letter in "DFIQUVdfiquv" else "n" for letter in ascii_letters
}
_NI = _byte_table(
    {
        **dict.fromkeys(map(chr, range(128)), " "),
        **_NI_LETTERS,
        **dict.fromkeys(digits, "0"),
    }
)

# What each view makes of characters outside ASCII.
_DIGITS_WIDE = dict.fromkeys(WIDE_SPACES, " ")
_SHAPE_WIDE = {**dict.fromkeys(CASELESS, "a"), **dict.fromkeys(WIDE_SPACES, " ")}
_NI_WIDE = {
    **{old: _NI_LETTERS[new] for old, new in CASELESS.items()},
    **dict.fromkeys(WIDE_SPACES, " "),
}

#: Characters some patterns start with that most text lacks.
RARE = "@[({+\n"


def _translate(text: str, table: bytes, wide: dict[str, str]) -> str:
    """``text`` with its ASCII characters changed by ``table`` and the
    characters outside ASCII by ``wide``. Every change is one character for
    one, so the length stays; both ways run at C speed, ``str.translate`` for
    ASCII text (one new string) and the bytes of the UTF-8 form otherwise."""
    if text.isascii():
        return text.translate(_as_str(table))
    data = text.encode("utf-8", "surrogatepass").translate(table)
    changed = data.decode("utf-8", "surrogatepass")
    for old, new in wide.items():
        if old in changed:
            changed = changed.replace(old, new)
    return changed


@lru_cache(maxsize=8)
def _as_str(table: bytes) -> str:
    return table.decode("latin-1")


class TextViews:
    """A folded text (``text``) and its views, each made when first read.

    ``memo`` keeps what finders work out once per text (whether a letter by
    letter spelling can occur anywhere in it, say).
    """

    def __init__(self, text: str):
        self.text = text
        self.memo: dict = {}

    @cached_property
    def rare(self) -> frozenset[str]:
        """Which of :data:`RARE` the text holds."""
        return frozenset(char for char in RARE if char in self.text)

    @cached_property
    def lower(self) -> str:
        if self.text.isascii():
            return self.text.lower()
        return _translate(self.text, _LOWER, CASELESS)

    @cached_property
    def digits(self) -> str:
        return _translate(self.text, _DIGITS, _DIGITS_WIDE)

    @cached_property
    def shape(self) -> str:
        return _translate(self.text, _SHAPE, _SHAPE_WIDE)

    @cached_property
    def ni(self) -> str:
        return _translate(self.text, _NI, _NI_WIDE)

    @cached_property
    def lower_reversed(self) -> str:
        return self.lower[::-1]
