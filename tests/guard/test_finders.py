"""The fast finders find exactly what the full scans find.

Each finder of :mod:`publishing.finders` (and :func:`publishing.phrases.
phrase_finder`) reads views of the text, split patterns and windows; each must
give the same spans as its one full pattern in :mod:`publishing.personal_data`
(:func:`publishing.phrases.phrase_pattern`), on the corpus, on the benchmark's
texts, and on random mixes of the pieces every rule looks for, run together so
that candidates touch and overlap.
"""

from __future__ import annotations

import random

import pytest

from benchmarks.guard import MATCHING, NEAR_MISSES
from publishing import finders, personal_data
from publishing.normalise import normalise
from publishing.phrases import phrase_finder, phrase_pattern
from publishing.text_views import TextViews
from tests.guard import corpus

FULL_SCANS = {
    "email_address": personal_data.emails,
    "phone_number": personal_data.phones,
    "ni_number": personal_data.ni_numbers,
    "nhs_number": personal_data.nhs_numbers,
    "card_number": personal_data.card_numbers,
    "bank_details": personal_data.bank_details,
    "home_address": personal_data.home_addresses,
    "date_of_birth": personal_data.dates_of_birth,
}
MARKINGS = (
    "OFFICIAL-SENSITIVE",
    "OFFICIAL SENSITIVE",
    "SECRET",
    "TOP SECRET",
    "RESTRICTED",
    "CONFIDENTIAL",
)
TERM_SETS = [
    (MARKINGS, False),
    (("EMBARGOED", "EMBARGO", "NOT FOR PUBLICATION"), False),
    (("election", "candidate", "councillor", "manifesto", "vote", "party"), True),
    (("fly tipping amnesty", "rubbish tip", "A&E", "route 66", "S E C"), False),
    (("tip", "tipping", "Tip Top", "top"), True),
    (("café society", "secret"), False),  # outside ASCII: read as written
]

# Pieces of what every rule looks for, near misses and look-alikes, and the
# separators and boundaries between them.
PIECES = [
    *"0123456789",
    "12",
    "34",
    "56",
    "020",
    "7946",
    "0018",
    "+44",
    "0044",
    "(0)",
    "(020)",
    "07700",
    "900123",
    "943",
    "476",
    "5919",
    "5918",
    "4111",
    "1111",
    "1112",
    "378282246310005",
    "9434765919",
    "12-34-56",
    "12345678",
    "1234 5678",
    "AB",
    "ab",
    "DA",
    "ZY",
    "OA",
    "NI",
    "A",
    "C",
    "D",
    "o",
    "x",
    "sort code",
    "Sort Code:",
    "account",
    "ref",
    "Case no.",
    "REF/",
    "NHS number",
    "DOB",
    "d.o.b",
    "date of birth",
    "born on",
    "birthdate",
    "March",
    "mar.",
    "12th",
    "1987",
    "03",
    "Acacia",
    "Avenue",
    "Road",
    "St",
    "Flat",
    "EX1",
    "2AB",
    "EX12AB",
    "SW1A 1AA",
    "jo",
    "jo.bloggs",
    "bloggs",
    "@",
    "＠",
    " at ",
    "[at]",
    "(at)",
    "{ at }",
    " dot ",
    "[dot]",
    "(dot)",
    "example",
    ".org",
    ".gov.uk",
    "exampleshire",
    "co",
    "TOP",
    "SECRET",
    "secretary",
    "OFFICIAL",
    "SENSITIVE",
    "S E C R E T",
    "s.e.c.r.e.t",
    "EMBARGOED",
    "embargo",
    "NOT FOR",
    "publication",
    "vote",
    "votes",
    "party",
    "parties",
    "tip",
    "tips",
    "A&E",
    "route",
    "66",
    *" " * 12,
    "  ",
    "\t",
    "\n",
    ".",
    "-",
    "_",
    "/",
    ",",
    ":",
    "(",
    ")",
    "£",
    "#",
    "'",
    "\u0130",
    "\u0131",
    "\u017f",
    "\u212a",
    "\u2028",
    "\x85",
    "\xa0",
    "\u3000",
    "\u200b",
    "\u2013",
    "\u041e",
    "é",
    "Ö",
    "中",
    "\uff10\uff12\uff10",
    "\ufb01",
]


SEPARATORS = ["", "", " ", " ", "  ", ".", "-", "\u2028", "_", ",", "/", "\n"]


def shapes(chooser: random.Random) -> str:
    """Something shaped like what one rule looks for, often a little wrong."""

    def sep():
        return chooser.choice(SEPARATORS)

    def digits(count):
        return "".join(chooser.choices("0123456789", k=count))

    def letters(count, alphabet="ABCDEFOQXYZabdoz\u0131\u017f"):
        return "".join(chooser.choices(alphabet, k=count))

    shape = chooser.choice(
        [
            lambda: (
                letters(2)
                + sep()
                + sep().join(digits(2) for _ in range(3))
                + sep()
                + letters(1)
            ),
            lambda: sep().join(
                digits(n)
                for n in chooser.choice([(3, 3, 4), (4,) * 4, (4, 6, 5), (16,)])
            ),
            lambda: (
                chooser.choice(["0", "+44 ", "0044", "(0", "+44 (0)"])
                + digits(chooser.randint(8, 11))
            ),
            lambda: (
                sep().join([digits(2), digits(2), digits(2)])
                + chooser.choice([" ", " account ", "", ", a/c "])
                + digits(8)
            ),
            lambda: (
                digits(8)
                + chooser.choice([" ", " sort code ", ""])
                + sep().join([digits(2), digits(2), digits(2)])
            ),
            lambda: (
                digits(chooser.randint(1, 5))
                + chooser.choice(["", "a", "B"])
                + chooser.choice(["", ","])
                + " "
                + " ".join(
                    chooser.choice(["Acacia", "The", "high", "O'Neil", "Park"])
                    for _ in range(chooser.randint(1, 5))
                )
                + " "
                + chooser.choice(["Road", "St", "avenue", "Way.", "Mews", "Hill"])
                + chooser.choice(["", ", Exampletown ", " flat\n", " 9 ", ", "])
                + letters(chooser.randint(1, 2), "ABEXSWMn")
                + digits(1)
                + chooser.choice(["", "A", "1"])
                + sep()
                + digits(1)
                + letters(2, "ABXnq")
            ),
            lambda: (
                chooser.choice(
                    [
                        "DOB",
                        "d.o.b",
                        "D O B",
                        "Date of birth",
                        "born",
                        "born on",
                        "birth date",
                        "dob",
                    ]
                )
                + chooser.choice(["", ":", " ", ": ", " - "])
                + chooser.choice(
                    [
                        digits(2) + "/" + digits(2) + "/" + digits(4),
                        digits(1)
                        + "st "
                        + chooser.choice(["March", "mar.", "Sept", "june"])
                        + " "
                        + chooser.choice(["1987", "87", "2020", "3"]),
                        chooser.choice(["Jan", "December"])
                        + " "
                        + digits(2)
                        + ", "
                        + chooser.choice(["1999", "99"]),
                    ]
                )
            ),
            lambda: (
                chooser.choice(["jo", "jo.bloggs", "j_o+x", "a", "jo dot bloggs"])
                + chooser.choice(
                    ["@", " @ ", " at ", "[at]", " (at) ", "{at}", "\uff20"]
                )
                + chooser.choice(["example", "exampleshire", "x-y"])
                + chooser.choice([".org", " dot org", "[dot]gov[dot]uk", ".gov.uk", ""])
            ),
        ]
    )
    return shape()


def mixes(count: int, seed: int, length: int = 40, shaped: float = 0.15) -> list[str]:
    chooser = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(chooser.randint(1, length)):
            if chooser.random() < shaped:
                # Most often set apart, so that its boundaries hold.
                space = " " if chooser.random() < 0.6 else ""
                parts.append(space + shapes(chooser) + space)
            else:
                parts.append(chooser.choice(PIECES))
        texts.append("".join(parts))
    return texts


def benchmark_texts() -> list[str]:
    return [MATCHING * 30, NEAR_MISSES * 30, (MATCHING + NEAR_MISSES) * 15]


def corpus_texts() -> list[str]:
    lines = [text for _, text in corpus.personal_data()] + corpus.ordinary()
    return [*lines, " ".join(lines), "".join(lines), "\n".join(lines)]


def _digits(text: str) -> int:
    return sum(character in "0123456789" for character in text)


def assert_same(text: str) -> None:
    folded = normalise(text).text
    views = TextViews(folded)
    for rule, full_scan in FULL_SCANS.items():
        found = list(full_scan(folded))
        assert list(finders.BY_RULE[rule](views)) == found, (rule, text)
        # The guard does not look for a rule in text with fewer digits.
        fewest = personal_data.MIN_DIGITS.get(rule, 0)
        assert all(_digits(folded[start:end]) >= fewest for start, end in found), (
            rule,
            text,
        )
    for terms, plurals in TERM_SETS:
        pattern = phrase_pattern(terms, plurals)
        fast = list(phrase_finder(terms, plurals)(views))
        assert fast == [m.span() for m in pattern.finditer(folded)], (terms, text)


@pytest.mark.parametrize("text", corpus_texts()[-3:] + benchmark_texts())
def test_the_corpus_and_the_benchmark_texts_are_found_alike(text):
    assert_same(text)


def test_each_corpus_line_is_found_alike():
    for text in corpus_texts()[:-3]:
        assert_same(text)


@pytest.mark.parametrize("seed", range(8))
def test_random_mixes_are_found_alike(seed):
    for text in mixes(250, seed):
        assert_same(text)


@pytest.mark.parametrize("seed", range(4))
def test_mixes_of_near_misses_are_found_alike(seed):
    for text in mixes(300, 100 + seed, length=12, shaped=0.7):
        assert_same(text)


def test_long_random_mixes_are_found_alike():
    for text in mixes(6, 99, length=2000):
        assert_same(text)


@pytest.mark.parametrize(
    "text",
    [
        # Windows that touch and overlap: anchors back to back.
        "jo@example.org" * 5,
        "jo@example.org,jo@example.org jo [at] example [dot] org",
        "a@b.co@c.co a [at] b [at] c.org x (at) y (dot) z (dot) uk",
        "jo dot bloggs at example dot gov dot uk at example.org",
        " " * 500 + "j" + " [dot] " * 70 + "x@example.org",
        "x" * 70 + "@example.org " + "y" * 64 + "@example.org",
        "12 Acacia Avenue EX1 2AB 14 Acacia Avenue EX1 2AB",
        "12 Acacia Avenue EX1 2AB, 3 Park Road SW1A 1AA.",
        "1 A B C D Road" + " " * 50 + "EX1 2AB EX1 2AB",
        "12 Acacia Avenue EX1 2AB" * 3,
        # Split patterns whose matches overlap one another.
        "TOP SECRET SECRET TOP SECRETS",
        "020 7946 0018 0044 20 7946 0018 (020) 7946 0018 +44 (0)20 7946 0018",
        "0020 7946 0018 00 44 20 7946 0018",
        "12-34-56 12345678 12345678 12-34-56 sort code 123456 12345678",
        "12345678 12-34-56 12345678 sort code 12-34-56 12345678",
        "DOB 12/03/1987 born on 12 March 1987 d.o.b. 1 Jan 90 birth date 3/4/05",
        "AB 12 34 56 C AB 12 34 56 C,AB123456C;ZY 58  74 72 b",
        "\u0131AB 12 34 56 C AB 12 34 56 \u0130 \u017fT 12 34 56 A",
        "AB\u202812\u202834\u202856\u2028C and é AB 12 34 56 C",
        "943 476 5919 4111 1111 1111 1111 943 476 5919 943-476-5919",
        "4111 1111 1111 1111 1111 943 476 5919 4111",
        "S E C R E T s_e_c_r_e_t S/E/C/R/E/T S\u2028E\u2028C",
    ],
)
def test_touching_and_overlapping_candidates_are_found_alike(text):
    assert_same(text)


def test_the_windows_of_each_finder_start_in_order(monkeypatch):
    """:func:`publishing.finders.windowed` merges windows in order of start."""
    seen = []
    real = finders.windowed

    def recording(pattern, text, windows, *rest):
        windows = list(windows)
        seen.append([low for low, _ in windows])
        return real(pattern, text, windows, *rest)

    monkeypatch.setattr(finders, "windowed", recording)
    for text in mixes(200, 7) + benchmark_texts():
        views = TextViews(normalise(text).text)
        list(finders.emails(views))
        list(finders.home_addresses(views))
    assert seen and all(lows == sorted(lows) for lows in seen)


def test_views_keep_the_length_and_stand_for_each_character():
    for text in mixes(200, 11):
        folded = normalise(text).text
        views = TextViews(folded)
        for view in (views.lower, views.digits, views.shape, views.ni):
            assert len(view) == len(folded)
        assert views.lower_reversed == views.lower[::-1]
        for char, lower, digit, shape in zip(
            folded, views.lower, views.digits, views.shape, strict=True
        ):
            assert lower == personal_lower(char)
            if char.isascii() and char.isdigit():
                assert digit == "0"
            else:
                assert digit == (" " if char.isspace() and char != "\n" else char)
            assert (shape == " ") == (char.isspace() or char in "._/-")


def personal_lower(char: str) -> str:
    caseless = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}
    return char.lower() if char.isascii() else caseless.get(char, char)


def test_the_letters_caseless_matching_takes_for_ascii_are_all_known():
    import re

    from publishing.text_views import CASELESS, WIDE_SPACES

    everything = "".join(
        chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000
    )
    assert set(re.findall(r"(?i)[a-z]", everything)) == set(CASELESS)
    assert "".join(re.findall(r"\s", everything)) == WIDE_SPACES


def test_many_check_digits_at_once_agree_with_one_at_a_time():
    chooser = random.Random(5)
    numbers = ["".join(chooser.choices("0123456789", k=10)) for _ in range(3000)]
    assert personal_data.nhs_check_digits_ok(numbers) == [
        personal_data.nhs_check_digit_ok(n) for n in numbers
    ]
    written = [
        "".join(
            chooser.choice("0123456789") + chooser.choice(["", "", " ", "-", ". "])
            for _ in range(chooser.randint(1, 24))
        )
        for _ in range(3000)
    ] + ["4111 1111 1111 1111", "378282246310005", "4111\u20281111 1111 1111"]
    assert personal_data.card_numbers_ok(written) == [
        personal_data.card_number_ok(w) for w in written
    ]


def folded_one_by_one(text: str) -> tuple[str, list[int]]:
    """Folding as it was first written: each character outside ASCII by
    itself, every folded character's original index kept."""
    from publishing.normalise import fold_character

    folded, origins = [], []
    for index, char in enumerate(text):
        piece = char if char.isascii() else fold_character(char)
        folded.append(piece)
        origins += [index] * len(piece)
    return "".join(folded), origins


@pytest.mark.parametrize("seed", range(3))
def test_normalise_folds_and_maps_back_as_one_character_at_a_time(seed):
    chooser = random.Random(seed)
    texts = mixes(150, 200 + seed) + [
        # Many occurrences of a few characters (folded by replacing them
        # throughout) and a few of many (folded one by one).
        MATCHING * 40,
        "".join(chooser.choice(PIECES[-16:] + ["a", " "]) for _ in range(3000)),
        "x" * 2000 + "\u200b\ufb01\u2013",
        "\ud800 lone surrogate \u200b",
    ]
    for text in texts:
        folded = normalise(text)
        expected, origins = folded_one_by_one(text)
        assert folded.text == expected
        for start in range(0, len(expected), 7):
            for end in (start + 1, start + 5, len(expected)):
                if end <= len(expected):
                    assert folded.original_span(start, end) == (
                        origins[start],
                        origins[end - 1] + 1,
                    )


@pytest.mark.parametrize("allowance", [0, 1, 3])
def test_text_dense_with_anchors_is_read_in_one_pass_alike(monkeypatch, allowance):
    """Past its allowance of anchors a finder reads the rest of the text in
    one pass: what it finds is the same."""
    monkeypatch.setattr(finders, "one_by_one", lambda text: allowance)
    dense = [
        "!@a.bc AO 12 34 56 E SW1A 1AA x (at) example.org 12 Acacia Road EX1 2AB "
        * 20,
        "jo@example.org AB 12 34 56 C " * 10 + "ZZ 12 34 56 A jo@x.org",
    ]
    for text in dense + mixes(120, 300 + allowance, length=12, shaped=0.7):
        assert_same(text)
