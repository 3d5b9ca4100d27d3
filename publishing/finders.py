"""The guard's finders: each yields exactly the spans its full scan in
:mod:`publishing.personal_data` yields (``tests/guard/test_finders.py`` compares
them), in a small part of the time on long text.

A full scan tries its pattern at nearly every character, because the patterns
start with a look-behind or a character class. These read same-length views of
the text (:mod:`publishing.text_views`) in which a match starts with literal
characters, which ``re`` skips to:

* **Numbers** (NHS, card) start with "000" in the digits view; most candidates
  of a long text fail their check digit, so the checks run many at a time.
* **Split by first characters.** A pattern whose matches start with one of a
  few characters is written once per start, each beginning with it; at any
  position at most one of them can match, and it matches as the whole would.
  :func:`earliest` interleaves them as the whole pattern's ``finditer`` would
  (phone numbers, bank details, dates of birth, words and phrases).
* **Anchored windows.** Every email address holds an "@" or written-out "at"
  with a domain after it, every home address a postcode: the full pattern
  reads only around those anchors (:func:`windowed`), far enough each way to
  hold any match.
* **National Insurance numbers** start, in the NI view, with a space and two
  letters a number may start with; the full pattern checks each candidate.

Text dense with anchors or candidates is read in one pass of the full pattern
once an allowance (:func:`one_by_one`) runs out, so no text costs much more
than the full scan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from heapq import merge
from itertools import chain, compress, islice

from . import personal_data as pd
from .personal_data import NOT_BEFORE_CODE, RUN
from .text_views import TextViews

Spans = Iterator[tuple[int, int]]
Finder = Callable[[TextViews], Spans]


# Two ways of reading less ----------------------------------------------------------


class Part:
    """One part of a pattern split by first characters: the pattern, the view
    it reads and ``first``, the characters every match of it starts with."""

    __slots__ = ("pattern", "text", "first", "tries")

    def __init__(self, pattern: re.Pattern, text: str, first: str):
        self.pattern, self.text, self.first = pattern, text, first
        self.tries = one_by_one(text)

    def first_match(self, start: int, before: int) -> tuple:
        """``(span, clear)``: the part's first match from ``start`` on, or
        ``None`` when it has none before ``before``; and from where it may
        have one. Close to ``before`` it tries each place its first characters
        occur, while its allowance of tries lasts; otherwise one search reads
        on to a match or the end."""
        if before - start <= _NEAR:
            end = before - 1 + len(self.first)
            at = self.text.find(self.first, start, end)
            while self.tries > 0:
                if at < 0:
                    return None, before
                self.tries -= 1
                m = self.pattern.match(self.text, at)
                if m:
                    return m.span(), at
                at = self.text.find(self.first, at + 1, end)
            start = max(at, start)
        m = self.pattern.search(self.text, start)
        return (m.span(), start) if m else (None, _END)


#: How close a part's next match must be for it to try its first characters
#: one place at a time rather than search on.
_NEAR = 4096
_END = float("inf")


def earliest(parts: list[Part]) -> Spans:
    """The matches of one pattern, split by first characters into ``parts``,
    in the order and extent of the whole pattern's ``finditer``: at each
    position at most one part can match, and it matches as the whole would; so
    the whole's next match is the earliest of the parts' from where its last
    match ended. A part is only read as far as that earliest match, so a
    finder stopped after a few findings has read little of a long text."""
    # A part whose first characters are nowhere in its view has no match: one
    # scan in C each leaves out most parts of most texts (a post without
    # digits, say) before any of the work below.
    parts = [part for part in parts if part.first in part.text]
    if not parts:
        return
    found: list = [None] * len(parts)  # each part's next match, once looked for
    clear = [0] * len(parts)  # ... or from where it may have one
    position = 0
    while True:
        best = None
        for index, span in enumerate(found):
            if span is not None and span[0] < position:
                # It began inside the last match: look again from its end.
                found[index], clear[index] = None, position
            elif span is not None and (best is None or span[0] < best[0]):
                best = span
        # Look close by first; only when no part matches there, read on.
        for limit in (position + _NEAR, _END):
            for index, part in enumerate(parts):
                bound = min(limit, best[0]) if best else limit
                if found[index] is None and clear[index] < bound:
                    start = max(clear[index], position)
                    found[index], clear[index] = part.first_match(start, bound)
                    span = found[index]
                    if span is not None and (best is None or span[0] < best[0]):
                        best = span
            if best is not None:
                break
        if best is None:
            return
        yield best
        position = best[1]


def windowed(
    pattern: re.Pattern,
    text: str,
    windows: Iterable[tuple[int, int]],
    rest: Callable[[int], Iterator[re.Match]] | None = None,
) -> Iterator[re.Match]:
    """``pattern.finditer(text)`` where every match, and the characters its
    look-aheads read, lies inside one of ``windows``.

    ``windows`` come in order of start (each finder's are: their starts never
    go back); those that overlap or touch are read as one, with ``pos`` and
    ``endpos``, so look-behinds still see the text before a window and a match
    that begins in one window is never cut by the next. Each window must hold
    every match of its anchor whole: then no match is missed, and none is
    found that the full scan would not find.

    Windows cost some Python each: text dense with anchors is read, from the
    window after the :func:`one_by_one` allowance, in one pass of the pattern
    (or of ``rest``, the matches of the same pattern from a position on).
    """
    start = end = None
    allowance = one_by_one(text)
    for low, high in windows:
        if end is not None and low <= end:
            end = max(end, high)
            continue
        if end is not None:
            yield from pattern.finditer(text, start, end)
        start, end = low, high
        allowance -= 1
        if allowance < 0:
            yield from rest(start) if rest else pattern.finditer(text, start)
            return
    if end is not None:
        yield from pattern.finditer(text, start, end)


def one_by_one(text: str) -> int:
    """How many anchors a finder looks at one at a time before it reads the
    rest of ``text`` in one pass: about one for every kilobyte, a few
    milliseconds a megabyte."""
    return 8 + len(text) // 1024


#: Numbers checked together (a finder stopped early has checked at most this
#: many more than it needed).
_BATCH = 128


def _checked(
    spans: Iterator[tuple[int, int]],
    text: str,
    check: Callable[[list[str]], list[bool]],
) -> Spans:
    """The ``spans`` whose text passes ``check``. Most candidates of a long
    text fail their check digit; checking many at once keeps that work at C
    speed (see :func:`publishing.personal_data.nhs_check_digits_ok`)."""
    while batch := list(islice(spans, _BATCH)):
        passed = check([text[start:end] for start, end in batch])
        yield from compress(batch, passed)


def _spans(matches: Iterable[re.Match]) -> Spans:
    return (m.span() for m in matches)


# NHS and card numbers: in the digits view -----------------------------------------

# NOT_AFTER_CODE, looked at once the first digits are read.
_NHS = re.compile(
    rf"000(?<![\w/]000)(?<![0-9][.\-]000){RUN}000{RUN}0000{NOT_BEFORE_CODE}"
)


def nhs_numbers(views: TextViews) -> Spans:
    text = views.text
    candidates = _spans(_NHS.finditer(views.digits))
    for start, end in _checked(candidates, text, _nhs_digits_ok):
        if not pd.named_as_reference(text, start):
            yield start, end


def _nhs_digits_ok(written: list[str]) -> list[bool]:
    return pd.nhs_check_digits_ok(pd.digits_of_each(written))


# The three layouts of pd.CARD share their first four digits.
_CARD = re.compile(
    rf"0000(?<![\w/]0000)(?<![0-9][.\-]0000)"
    rf"(?:(?:{RUN}0000){{2,3}}(?:{RUN}0{{1,3}})?|{RUN}0{{6}}{RUN}0{{4,5}}|0{{9,15}})"
    rf"{NOT_BEFORE_CODE}"
)


def card_numbers(views: TextViews) -> Spans:
    candidates = _spans(_CARD.finditer(views.digits))
    return _checked(candidates, views.text, pd.card_numbers_ok)


# Phone numbers: "+", "0" or "(" first ----------------------------------------------

_PHONE_BEFORE = r"[\w+£$€#/.,\-]"
_PHONE_REST = rf"[1235789](?:\)?{RUN}[0-9]){{8,9}}(?![\w/]|[\-.,][0-9])"
_PHONE = {
    "+": re.compile(rf"\+(?<!{_PHONE_BEFORE}\+)44{RUN}(?:\(0\){RUN})?{_PHONE_REST}"),
    # "0044 ..." is tried before a trunk "0", as pd.PHONE tries them.
    "0": re.compile(
        rf"0(?<!{_PHONE_BEFORE}0)(?:044{RUN}(?:\(0\){RUN})?|){_PHONE_REST}"
    ),
    "(": re.compile(rf"\((?<!{_PHONE_BEFORE}\()0{_PHONE_REST}"),
}


def phones(views: TextViews) -> Spans:
    return earliest(
        [
            Part(pattern, views.text, first)
            for first, pattern in _PHONE.items()
            if first == "0" or first in views.rare
        ]
    )


# Bank details: a sort code or "sort code" first ----------------------------------

# pd.BANK_DETAILS from a sort code in digits: two digits and a separator (in
# the digits view whitespace but newlines is a space), one pattern per
# separator, so that each starts with three literal characters.
_BANK_SORT_CODE_FIRST = {
    separator: re.compile(
        rf"00{re.escape(separator)}(?<![\w/]00{re.escape(separator)})[\s.\-]*"
        rf"[0-9]{{2}}[\s.\-]+[0-9]{{2}}(?![\s.\-]?(?-i:[A-D])(?![A-Za-z]))(?![0-9])"
        rf"{pd._GAP}{pd._ACCOUNT}",
        re.IGNORECASE,  # the digits view keeps letters' case, for (?-i:[A-D])
    )
    for separator in " .-\n"
}
# ... from an account number (four digits: the third is not a separator) ...
_BANK_ACCOUNT_FIRST = re.compile(
    rf"0000(?<![\w/]0000)(?<![0-9][\s.\-]0000)[\s\-]?0000(?![0-9])"
    rf"{pd._GAP}{pd._SORT_CODE}",
    re.IGNORECASE,
)
# ... and from the words, in the lower-case view.
_BANK_FROM_WORDS = re.compile(
    rf"sort(?<![\w/]sort)(?<![a-z]sort)\s*code\W{{0,3}}[0-9]{{6}}(?![0-9])"
    rf"{pd._GAP}{pd._ACCOUNT}"
)


def bank_details(views: TextViews) -> Spans:
    return earliest(
        [
            *(
                Part(pattern, views.digits, "00" + separator)
                for separator, pattern in _BANK_SORT_CODE_FIRST.items()
                if separator != "\n" or "\n" in views.rare
            ),
            Part(_BANK_ACCOUNT_FIRST, views.digits, "0000"),
            Part(_BANK_FROM_WORDS, views.lower, "sort"),
        ]
    )


# Dates of birth: "d..." or "b..." --------------------------------------------------

# pd._DATE, each run that what follows cannot start given up at once (a run
# of digits before a separator, separators before a digit or a month): the
# same matches, without trying every shorter run first.
_DAY = r"[0-9]{1,2}+(?:st|nd|rd|th)?"
_DOB_REST = (
    rf"\b\W{{0,3}}+(?:{_DAY}[\s./\-]++(?:of\s++)?(?:[0-9]{{1,2}}+|{pd._MONTH}\.?)"
    rf"[\s./,\-]++(?:{pd._YEAR}|[0-9]{{2}})|{pd._MONTH}\.?\s++{_DAY},?\s++{pd._YEAR})"
    r"(?![0-9])"
)
_DOB = {
    "d": re.compile(rf"d(?<![a-z]d)(?:\W?o\W?b|ate\s+of\s+birth){_DOB_REST}"),
    "b": re.compile(rf"b(?<![a-z]b)(?:irth\s*date|orn(?:\s+on)?){_DOB_REST}"),
}


def dates_of_birth(views: TextViews) -> Spans:
    parts = [Part(pattern, views.lower, first) for first, pattern in _DOB.items()]
    return earliest(parts)


# National Insurance numbers: a space and two letters first ----------------------

# pd.NI_NUMBER in the NI view, where every character but letters and digits is
# a space: so the character before a number is a space (or there is none).
# What the view cannot tell apart (O as the second letter, the suffix letter,
# a comma for a separator) pd.NI_NUMBER then checks on the text.
_NI_SHAPE = r"nn *+00 *+00 *+00 *+[nx](?![nx0])"
_NI_AFTER_SPACE = re.compile(" " + _NI_SHAPE)
_NI_AT_START = re.compile(_NI_SHAPE)
# Characters outside ASCII are left as they are in the view; any of them may
# stand before a number too.
_NI_AFTER_WIDE = re.compile(r"[^\x00-\x7f]" + _NI_SHAPE)


def ni_numbers(views: TextViews) -> Spans:
    # A number is a whole run of letters, digits and separators, so two cannot
    # overlap: each is found from its own first letter.
    text, shape = views.text, views.ni
    starts = (m.start() + 1 for m in _NI_AFTER_SPACE.finditer(shape))
    if not text.isascii():
        wide = (m.start() + 1 for m in _NI_AFTER_WIDE.finditer(shape))
        starts = merge(starts, wide)
    if _NI_AT_START.match(shape):
        starts = chain([0], starts)
    allowance = one_by_one(text)
    for start in starts:
        m = pd.NI_NUMBER.match(text, start)
        if m is None:
            allowance -= 1
            if allowance < 0:
                # Numbers never overlap: the full scan from here finds the rest.
                yield from pd.ni_numbers(text, start)
                return
        elif m.group(1).upper() not in pd.NI_UNUSED_PREFIXES:
            yield m.span()


# Email addresses: anchored on "@" or a written-out "at" and a domain ---------------

# What must follow any "at" of a match: a domain label and a dot, perhaps
# written out. Each anchor reads only its first character, so that no anchor
# hides another.
_DOMAIN_START = r"[a-z0-9][a-z0-9\-]*+(?:\.|\s*[\[({]\s*dot|\s+dot\s)"
_EMAIL_ANCHORS = {
    "@": re.compile(rf"@(?=\s*{_DOMAIN_START})"),
    **{
        bracket: re.compile(rf"\{bracket}(?=\s*at\s*[\])}}]\s*{_DOMAIN_START})")
        for bracket in "[({"
    },
    "at": re.compile(rf"at(?<=\sat)(?=\s+{_DOMAIN_START})"),
}
# How far a match may reach back from its "at", read in the reversed view: its
# name is at most 64 parts (a character, or a dot written as up to five, "[dot]"),
# with any whitespace between. Likewise forward: "[at]", nine labels of up to
# 63 characters, the dots between and the top-level domain.
_NAME_BACK = re.compile(r"(?:\s*+[a-z0-9_%+\-.\[\](){}]){0,320}+\s*+")
_DOMAIN_ON = re.compile(r"(?:\s*+[a-z0-9\-.@\[\](){}]){0,700}+\s*+")
#: Characters the end of pd.EMAIL looks at past a match.
_EMAIL_LOOKS_AHEAD = 2


def emails(views: TextViews) -> Spans:
    lower, length = views.lower, len(views.text)
    anchors = merge(
        *(
            pattern.finditer(lower)
            for first, pattern in _EMAIL_ANCHORS.items()
            if first == "at" or first in views.rare
        ),
        key=re.Match.start,
    )

    def windows():
        for anchor in anchors:
            at = anchor.start()
            low = length - _NAME_BACK.match(views.lower_reversed, length - at).end()
            high = _DOMAIN_ON.match(lower, at).end() + _EMAIL_LOOKS_AHEAD
            yield low, min(high, length)

    return pd.email_spans(windowed(pd.EMAIL, views.text, windows()))


# Home addresses: anchored on the postcode ------------------------------------------

# A postcode in the shape view: letter, digit, perhaps a letter or digit, any
# separators, digit, two letters. The anchor is its last letter before the
# first digit.
_POSTCODE_ANCHOR = re.compile(r"a0(?=[a0]?\s*0aa)")
_POSTCODE_REST = re.compile(r"[a0]?\s*0aa")
#: Characters the end of pd.HOME_ADDRESS looks at past a match.
_ADDRESS_LOOKS_AHEAD = 1
# pd.HOME_ADDRESS in the digits view, for text with too many postcodes to
# read around one by one: it reads no digit's value and no kind of whitespace
# but newlines, which the view keeps.
_ADDRESS_IN_DIGITS = re.compile(
    r"0(?<![\w/£$.,\-]0)0{0,3}[A-Za-z]?,?\s+(?-i:[A-Z][A-Za-z'\-]*\s+){1,4}"
    rf"{pd._STREET}\.?(?![A-Za-z])[^0-9\n]{{0,40}}?(?<![A-Za-z0-9])"
    r"[A-Z]{1,2}0[A-Z0]?\s*0[A-Z]{2}(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def home_addresses(views: TextViews) -> Spans:
    shape, length = views.shape, len(views.text)

    def windows():
        for anchor in _POSTCODE_ANCHOR.finditer(shape):
            letter = anchor.start()
            # Between the house number and the postcode there are no digits,
            # so the number ends at the last digit before the postcode.
            last_digit = shape.rfind("0", 0, max(letter - 1, 0))
            if last_digit < 0:
                continue
            end = _POSTCODE_REST.match(shape, letter + 2).end()
            yield max(last_digit - 3, 0), min(end + _ADDRESS_LOOKS_AHEAD, length)

    def rest(start: int) -> Iterator[re.Match]:
        return _ADDRESS_IN_DIGITS.finditer(views.digits, start)

    return _spans(windowed(pd.HOME_ADDRESS, views.text, windows(), rest))


#: The finders by the name of the guard's rule.
BY_RULE: dict[str, Finder] = {
    "email_address": emails,
    "phone_number": phones,
    "ni_number": ni_numbers,
    "nhs_number": nhs_numbers,
    "card_number": card_numbers,
    "bank_details": bank_details,
    "home_address": home_addresses,
    "date_of_birth": dates_of_birth,
}
