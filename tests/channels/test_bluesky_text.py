"""Bluesky's counting: graphemes (emoji, Welsh, Japanese), bytes, links in full."""

from __future__ import annotations

import random

import pytest
import regex

from channels.bluesky import BlueskyAdapter
from channels.bluesky_text import fit_bluesky, grapheme_length

LINK = "https://www.exampleshire.gov.uk/news/bins-on-tuesday/"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Croeso i Gyngor Sir Exampleshire", 32),
        ("Ŵyl Dewi hapus! Ŷ ŵ", 19),  # Welsh circumflexes, precomposed
        ("W\u0302yl", 3),  # ...and with a combining circumflex: still 3
        ("ごみの収集日", 6),  # Japanese: one each, not two as on X
        ("👨‍👩‍👧‍👦", 1),  # a family: seven code points, one grapheme
        ("🏴󠁧󠁢󠁷󠁬󠁳󠁿", 1),  # the flag of Wales: a tag sequence
        ("👍🏽", 1),  # an emoji with a skin tone
        (LINK, len(LINK)),  # a link counts in full
        ("Bins\r\nRecycling\n\rGarden", 22),  # CR LF is one, LF CR two
    ],
)
def test_graphemes_are_counted_as_people_see_them(text, expected):
    assert grapheme_length(text) == expected
    assert BlueskyAdapter.text_length(text) == expected


def test_long_text_is_cut_to_300_graphemes_keeping_the_link():
    text = "Casgliadau gwastraff gardd 🌳 " * 30 + LINK

    fitted = fit_bluesky(text, LINK)

    assert grapheme_length(fitted) <= 300
    assert fitted.endswith("…\n" + LINK)


def test_emoji_that_pass_3000_bytes_are_cut_too():
    family = "👨‍👩‍👧‍👦"  # 25 bytes, one grapheme
    fitted = fit_bluesky(family * 250, LINK)

    assert len(fitted.encode()) <= 3000
    assert grapheme_length(fitted) <= 300
    assert fitted.endswith(LINK)


def test_a_link_that_alone_is_too_long_cannot_fit():
    link = "https://www.exampleshire.gov.uk/" + "a" * 300

    with pytest.raises(ValueError, match="Bluesky"):
        fit_bluesky("Bins", link)


def test_ascii_is_counted_as_the_cluster_search_counts_it():
    chooser = random.Random(5)
    pieces = ["a", " ", "\r", "\n", "\r\n", "\t", "\x00", "\x7f", LINK, "#Bins"]
    for _ in range(2000):
        text = "".join(chooser.choice(pieces) for _ in range(chooser.randint(0, 20)))
        assert grapheme_length(text) == len(regex.findall(r"\X", text)), repr(text)
