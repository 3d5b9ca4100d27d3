"""Finding personal data in folded text (see :mod:`publishing.normalise`).

Each finder takes folded text and yields ``(start, end)`` spans of what it
finds, one pass of one regular expression plus a constant-time check of each
candidate (a check digit, a prefix HMRC never issues), so a text is read in time
linear in its length. The patterns accept any run of spaces, dots and dashes
where one separator may stand, because ``07700.900.123`` and ``AB-12-34-56-C``
are as personal as the tidy forms. No pattern can backtrack far: every
repetition is bounded or possessive.

These patterns and finders say what each rule finds; the guard runs the
finders of :mod:`publishing.finders`, which find exactly the same faster on
long text (``tests/guard/test_finders.py`` holds them to it).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from itertools import repeat
from operator import and_, eq, mul

Spans = Iterator[tuple[int, int]]

#: Any run of spaces, dots and dashes, or none (possessive: never given back).
RUN = r"[\s.\-]*+"
#: Not part of a bigger number or code: no letter, digit or slash just before,
#: nor a digit and a dot or dash (the tail of "12.0123456789").
NOT_AFTER_CODE = r"(?<![\w/])(?<![0-9][.\-])"
#: Not followed by more of a code: a letter, digit, slash or ".5", "-6".
NOT_BEFORE_CODE = r"(?![\w/]|[\-.,][0-9])"


#: The fewest digits (ASCII: no pattern reads any other) a match of each rule
#: holds, read off its pattern below: a text with fewer holds no match, so the
#: guard does not look (most titles, links and alt text have a digit or two).
#: ``tests/guard/test_finders.py`` checks every match it finds against these.
MIN_DIGITS = {
    "phone_number": 10,  # a trunk "0" and a first digit, then eight more
    "ni_number": 6,  # three pairs of digits
    "nhs_number": 10,  # 3, 3 and 4
    "card_number": 12,  # the shortest layout: three groups of four
    "bank_details": 14,  # a six-digit sort code and an eight-digit account
    "home_address": 3,  # a house number, and a digit in each half of a postcode
    "date_of_birth": 3,  # a day, and a year of two digits
}


def every(pattern: re.Pattern) -> Callable[[str], Spans]:
    """A finder for ``pattern`` whose every match counts."""

    def find(text: str) -> Spans:
        return (m.span() for m in pattern.finditer(text))

    return find


# Email addresses ---------------------------------------------------------------------

# "@" may be spaced or written out ("[at]", "(at)", " at "); so may the dots of
# the domain ("[dot]", "(dot)", " dot "). Full-width "＠" is "@" once folded.
_AT = r"(?P<at>\s*@\s*|\s*[\[({]\s*at\s*[\])}]\s*|\s+at\s+)"
_DOT = r"(?:\.|\s*[\[({]\s*dot\s*[\])}]\s*|\s+dot\s+)"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
# The first letter comes before the look-behind that says it starts the name,
# so the engine skips ahead to letters and digits instead of trying the
# look-behind at every character; the name, once read, is never given back
# (no character of it can begin "@" or "at"), so a long run of words near an
# "at" is read once, not once per length.
EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9](?<![\w.%+\-][A-Za-z0-9])"
    rf"(?:[A-Za-z0-9_%+\-]|{_DOT}(?=\w)){{0,63}}+)"
    rf"{_AT}(?P<domain>{_LABEL}(?:{_DOT}{_LABEL}){{0,8}}{_DOT}[A-Za-z]{{2,24}})"
    r"(?![\w\-]|\.\w)",
    re.IGNORECASE,
)
_WRITTEN_DOT = re.compile(_DOT, re.IGNORECASE)
_WRITTEN_AT = re.compile(_AT, re.IGNORECASE)
# A bare " at " also joins ordinary words ("more at bbc.co.uk"): it is read as
# an email only when the rest is written out too, or the name before it looks
# like a mailbox's (a dot, digit, underscore or plus in it).
_MAILBOX_LIKE = re.compile(r"[._0-9+]|\bdot\b", re.IGNORECASE)
_WRITTEN_OUT_DOT = re.compile(r"[\[({]\s*dot|\sdot\s", re.IGNORECASE)


def emails(text: str) -> Spans:
    return email_spans(EMAIL.finditer(text))


def email_spans(matches: Iterator[re.Match]) -> Spans:
    """The spans of the :data:`EMAIL` ``matches`` that are addresses."""
    for m in matches:
        if m.group("at").strip().lower() == "at" and not (
            _MAILBOX_LIKE.search(m.group("local"))
            or _WRITTEN_OUT_DOT.search(m.group("domain"))
        ):
            continue
        yield m.span()


def email_key(address: str) -> str:
    """``address`` as compared with the allow-list: written-out forms made plain
    and lower case ("Jo [at] Example [dot] org" is "jo@example.org")."""
    plain = _WRITTEN_AT.sub("@", address.strip())
    return re.sub(r"\s+", "", _WRITTEN_DOT.sub(".", plain)).lower()


# Phone numbers ---------------------------------------------------------------------

# A UK number: +44 or 0044 (optionally "(0)") or a trunk 0, then 9 or 10 more
# digits, the first of which starts a real range (01, 02, 03, 05, 07, 08, 09).
# The look-arounds keep out dates (2026-01-15), sums (£1,250,000) and
# references (A123, REF/0123).
PHONE = re.compile(
    r"(?<![\w+£$€#/.,\-])"
    rf"(?:(?:\+|00)44{RUN}(?:\(0\){RUN})?|\(?0)"
    rf"[1235789](?:\)?{RUN}[0-9]){{8,9}}"
    r"(?![\w/]|[\-.,][0-9])"
)


phones = every(PHONE)


def phone_key(number: str) -> str:
    """``number`` as compared with the allow-list: its digits, written as
    dialled from the UK ("+44 (0)20 7946 0018" is "02079460018")."""
    digits = re.sub(r"[^0-9]", "", number)
    international = number.lstrip().startswith(("+", "00"))
    if international and digits.startswith(("0044", "44")):
        digits = digits[4:] if digits.startswith("0044") else digits[2:]
        digits = digits if digits.startswith("0") else "0" + digits
    return digits


# National Insurance numbers ----------------------------------------------------------

# HMRC's format (NIM39110): the first letter is never D, F, I, Q, U or V; the
# second is none of those nor O; some pairs are never issued; six digits; a
# suffix A to D.
NI_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])"
    rf"{RUN}([0-9]{{2}}){RUN}([0-9]{{2}}){RUN}([0-9]{{2}}){RUN}([A-D])"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
NI_UNUSED_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def ni_numbers(text: str, start: int = 0) -> Spans:
    for m in NI_NUMBER.finditer(text, start):
        if m.group(1).upper() not in NI_UNUSED_PREFIXES:
            yield m.span()


# NHS numbers ---------------------------------------------------------------------

NHS_NUMBER = re.compile(
    rf"{NOT_AFTER_CODE}([0-9]{{3}}){RUN}([0-9]{{3}}){RUN}([0-9]{{4}}){NOT_BEFORE_CODE}"
)
# Ten digits named as a reference ("REF/0123456789", "case no. 0123456789") are
# that reference: about one ten-digit number in eleven passes the check digit.
_REFERENCE_BEFORE = re.compile(
    r"(?:\bref(?:erence)?|\bcase|\border|\bapplication|\binvoice|\bclaim|\bticket"
    r"|\bbooking|\bpermit|\blicen[cs]e|\bcustomer|\baccount|\bUPRN|\bUSRN)"
    r"\W{0,4}(?:(?:no|num|number)\b\W{0,4})?$",
    re.IGNORECASE,
)


_NHS_WEIGHTS = bytes(range(10, 1, -1))
_NHS_WEIGHTED_ZEROS = ord("0") * sum(_NHS_WEIGHTS)


def nhs_check_digit_ok(digits: str) -> bool:
    """The modulus 11 check of NHS Digital's data dictionary: weights 10 to 2 on
    the first nine digits; 11 minus the remainder is the check digit (11 means
    0, 10 means the number cannot exist)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    if digits.isascii():  # the weighted sum of the digits' bytes, at C speed
        weighted = sum(map(mul, digits.encode("ascii"), _NHS_WEIGHTS))
        total = weighted - _NHS_WEIGHTED_ZEROS
    else:
        weights = range(10, 1, -1)
        total = sum(int(d) * w for d, w in zip(digits[:9], weights, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


_LITTLE_ENDIAN = sys.byteorder == "little"  # how a memoryview reads 16 bits
# Many numbers' weighted sums at once: their character codes side by side in
# one big integer, 16 bits each, multiplied by the weights laid out the same
# way; each number's sum lands in the 16 bits of its last character (sums stay
# far below 2**16, so none spills into the next number's).


def _spread(joined: str) -> int:
    """The character codes of ``joined`` side by side, 16 bits each."""
    return int.from_bytes(joined.encode("utf-16-le"), "little")


def _slots(value: int, width: int, count: int) -> memoryview:
    """The 16 bits at the last character of each of ``count`` numbers of
    ``width`` characters spread in ``value``."""
    data = value.to_bytes(2 * width * (count + 1), "little")
    return memoryview(data).cast("H")[width - 1 :: width][:count]


# The check digit is weighted 0; the weights sit lowest for the last digit.
_NHS_WEIGHT_ROW = sum(w << (16 * (9 - i)) for i, w in enumerate(_NHS_WEIGHTS))


def _nhs_check_for(weighted: int) -> int:
    """The check digit (its code) a weighted sum of codes calls for, or "x"."""
    if weighted < _NHS_WEIGHTED_ZEROS:
        return ord("x")
    check = (11 - (weighted - _NHS_WEIGHTED_ZEROS) % 11) % 11
    return ord("x") if check == 10 else ord("0") + check


_NHS_CHECK_FOR = bytes(map(_nhs_check_for, range(ord("9") * 54 + 1)))


def nhs_check_digits_ok(numbers: list[str]) -> list[bool]:
    """:func:`nhs_check_digit_ok` of each of ``numbers``, at C speed for ten
    ASCII digits each."""
    joined = "".join(numbers)
    if not (
        _LITTLE_ENDIAN
        and joined.isascii()
        and joined.isdigit()
        and set(map(len, numbers)) == {10}
    ):
        return [nhs_check_digit_ok(n) for n in numbers]
    sums = _slots(_spread(joined) * _NHS_WEIGHT_ROW, 10, len(numbers))
    expected = bytes(map(_NHS_CHECK_FOR.__getitem__, sums))
    return list(map(eq, expected, joined[9::10].encode("ascii")))


def named_as_reference(text: str, start: int) -> bool:
    """Whether the words before ``start`` name what follows as a reference."""
    return bool(_REFERENCE_BEFORE.search(text, max(0, start - 30), start))


def nhs_number_at(text: str, start: int, digits: str) -> bool:
    """Whether ``digits``, read from ``text`` at ``start``, are an NHS number:
    the check digit holds and the text does not name them as a reference."""
    return nhs_check_digit_ok(digits) and not named_as_reference(text, start)


def nhs_numbers(text: str) -> Spans:
    for m in NHS_NUMBER.finditer(text):
        if nhs_number_at(text, m.start(), "".join(m.groups())):
            yield m.span()


# Payment card numbers --------------------------------------------------------------

# 13 to 19 digits as printed on cards: in fours (Visa, Mastercard and most),
# 4-6-5 (American Express) or all together; the Luhn check digit decides.
CARD = re.compile(
    rf"{NOT_AFTER_CODE}(?:[0-9]{{4}}(?:{RUN}[0-9]{{4}}){{2,3}}(?:{RUN}[0-9]{{1,3}})?"
    rf"|[0-9]{{4}}{RUN}[0-9]{{6}}{RUN}[0-9]{{4,5}}|[0-9]{{13,19}}){NOT_BEFORE_CODE}"
)


# A digit doubled, then its digits added (Luhn): 7 -> 14 -> 5.
_DOUBLED = str.maketrans("0123456789", "0246813579")
_NOT_DIGITS = str.maketrans(
    dict.fromkeys(map(chr, range(128))) | {d: d for d in "0123456789"}
)
_NOT_DIGITS_BUT_COMMAS = str.maketrans(
    dict.fromkeys(map(chr, range(128))) | {d: d for d in "0123456789,"}
)


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check of ISO/IEC 7812 card numbers."""
    if digits.isascii() and digits.isdigit():
        # Every second digit from the right doubled; the byte sum is the digit
        # sum plus ord("0") per digit.
        mixed = digits[-1::-2] + digits[-2::-2].translate(_DOUBLED)
        return (sum(mixed.encode("ascii")) - ord("0") * len(digits)) % 10 == 0
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def digits_of(written: str) -> str:
    """The ASCII digits of ``written``, in order."""
    if written.isascii():
        return written.translate(_NOT_DIGITS)
    return re.sub(r"[^0-9]", "", written)


def digits_of_each(written: list[str]) -> list[str]:
    """:func:`digits_of` each of ``written``, with one ``translate``."""
    joined = ",".join(written)
    if joined.isascii() and joined.count(",") == len(written) - 1:
        return joined.translate(_NOT_DIGITS_BUT_COMMAS).split(",")
    return [digits_of(w) for w in written]


def card_number_ok(written: str) -> bool:
    """Whether a :data:`CARD` match (digits and separators) is a card number:
    13 to 19 digits passing the Luhn check."""
    digits = digits_of(written)
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


# Luhn over numbers padded with leading zeros to 19 digits (zeros add
# nothing): a doubled digit d adds 2d, less 9 when d is 5 or more.
# Luhn over numbers padded with leading zeros to 19 digits (zeros add
# nothing): every second digit from the last counts twice, less 9 when it is 5
# or more. Each number's total never falls below its zeros' codes, so taking
# the nines from all the totals at once borrows nothing between numbers.
_LUHN_WIDTH = 19
_LUHN_WEIGHTS = sum((1 + k % 2) << (16 * k) for k in range(_LUHN_WIDTH))
_LUHN_DOUBLED = sum(1 << (16 * k) for k in range(1, _LUHN_WIDTH, 2))
_LUHN_ZEROS = ord("0") * sum(1 + k % 2 for k in range(_LUHN_WIDTH))
_FIVE_OR_MORE = str.maketrans("0123456789", "\0\0\0\0\0\1\1\1\1\1")
_LUHN_TOTAL_OK = tuple(
    (total - _LUHN_ZEROS) % 10 == 0 for total in range(ord("9") * 28 + 1)
)
_CARD_LENGTH_OK = tuple(13 <= length <= 19 for length in range(_LUHN_WIDTH + 1))


def card_numbers_ok(written: list[str]) -> list[bool]:
    """:func:`card_number_ok` of each of ``written``, at C speed for ASCII."""
    numbers = digits_of_each(written)
    lengths = list(map(len, numbers))
    if not (
        _LITTLE_ENDIAN
        and all(map(str.isascii, written))
        and max(lengths, default=0) <= _LUHN_WIDTH
    ):
        return [13 <= len(n) <= 19 and luhn_ok(n) for n in numbers]
    joined = "".join(map(str.rjust, numbers, repeat(_LUHN_WIDTH), repeat("0")))
    weighted = _spread(joined) * _LUHN_WEIGHTS
    nines = 9 * (_spread(joined.translate(_FIVE_OR_MORE)) * _LUHN_DOUBLED)
    totals = _slots(weighted - nines, _LUHN_WIDTH, len(numbers))
    return list(
        map(
            and_,
            map(_CARD_LENGTH_OK.__getitem__, lengths),
            map(_LUHN_TOTAL_OK.__getitem__, totals),
        )
    )


def card_numbers(text: str) -> Spans:
    for m in CARD.finditer(text):
        if card_number_ok(m.group()):
            yield m.span()


# Bank details --------------------------------------------------------------------

# A sort code (written 12-34-56, 12 34 56, or named "sort code 123456") with an
# account number of 8 digits within a few words, either way round.
# Neither is the tail of a longer run: the last digits of a phone number, or
# the digits of a National Insurance number before its suffix letter.
_SORT_CODE = (
    r"(?:[0-9]{2}[\s.\-]+[0-9]{2}[\s.\-]+[0-9]{2}(?![\s.\-]?(?-i:[A-D])(?![A-Za-z]))"
    r"|(?<![A-Za-z])sort\s*code\W{0,3}[0-9]{6})(?![0-9])"
)
_ACCOUNT = r"(?<![0-9])[0-9]{4}[\s\-]?[0-9]{4}(?![0-9])"
_GAP = r"[^0-9\n]{0,30}?"
BANK_DETAILS = re.compile(
    rf"(?<![\w/])(?:{_SORT_CODE}{_GAP}{_ACCOUNT}"
    rf"|(?<![0-9][\s.\-]){_ACCOUNT}{_GAP}{_SORT_CODE})",
    re.IGNORECASE,
)


bank_details = every(BANK_DETAILS)


# Home addresses --------------------------------------------------------------------

# A house number and a street of capitalised words, then a postcode within a
# few words: "12 Acacia Avenue, Exampletown EX1 2AB". A postcode alone, or a
# street alone, is fine.
_STREET = (
    r"(?:road|rd|street|st|avenue|ave|lane|ln|close|drive|dr|way|court|ct|place"
    r"|pl|crescent|cres|gardens|gdns|terrace|grove|hill|park|rise|view|walk|mews"
    r"|square|sq|row|green|parade|gate|yard|wharf|meadows?|fields|estate)"
)
POSTCODE = r"[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}"
HOME_ADDRESS = re.compile(
    r"(?<![\w/£$.,\-])[0-9]{1,4}[A-Za-z]?,?\s+(?-i:[A-Z][A-Za-z'\-]*\s+){1,4}"
    rf"{_STREET}\.?(?![A-Za-z])[^0-9\n]{{0,40}}?(?<![A-Za-z0-9]){POSTCODE}"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)


home_addresses = every(HOME_ADDRESS)


# Dates of birth --------------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
    r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"[0-9]{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)[0-9]{2}"
_DATE = (
    rf"(?:{_DAY}[\s./\-]+(?:of\s+)?(?:[0-9]{{1,2}}|{_MONTH}\.?)[\s./,\-]+"
    rf"(?:{_YEAR}|[0-9]{{2}})|{_MONTH}\.?\s+{_DAY},?\s+{_YEAR})"
)
DATE_OF_BIRTH = re.compile(
    r"(?<![A-Za-z])(?:d\W?o\W?b|date\s+of\s+birth|birth\s*date|born(?:\s+on)?)"
    rf"\b\W{{0,3}}{_DATE}(?![0-9])",
    re.IGNORECASE,
)


dates_of_birth = every(DATE_OF_BIRTH)
