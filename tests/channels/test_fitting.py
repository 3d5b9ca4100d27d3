"""Fitting a long post: the hashtags a template puts last go before any words."""

from __future__ import annotations

from channels.bluesky_text import fit_bluesky, grapheme_length
from channels.x_text import fit_x, weighted_length

LINK = (
    "https://www.exampleshire.gov.uk/news/new-electric-buses-for-the-park-and-ride/"
    "?utm_source=bluesky&utm_medium=social&utm_campaign=council-social"
)
SUMMARY = (
    "New electric buses for the Park and Ride\n\n"
    "Twelve new electric buses start service on the Park and Ride routes next "
    "week, cutting emissions and noise."
)


def test_a_last_line_of_hashtags_goes_whole_and_the_sentence_stays():
    # As the demo's announcement is composed for Bluesky: 306 graphemes.
    text = f"{SUMMARY}\n\n{LINK}\n#HighwaysAndTransport"
    assert grapheme_length(text) > 300

    fitted = fit_bluesky(text, LINK)

    assert fitted == f"{SUMMARY}\n\n{LINK}"
    assert "…" not in fitted


def test_hashtags_go_one_at_a_time_from_the_last():
    text = f"{SUMMARY}\n\n{LINK}\n#Buses #Transport"
    limit = grapheme_length(f"{SUMMARY}\n\n{LINK}\n#Buses")

    assert fit_bluesky(text, LINK, limit) == f"{SUMMARY}\n\n{LINK}\n#Buses"


def test_words_are_cut_only_once_the_hashtags_are_gone():
    text = f"{'Bins ' * 60}\n{LINK}\n#Waste"

    fitted = fit_x(text, LINK)

    assert weighted_length(fitted) <= 280
    assert fitted.endswith(f"Bins…\n{LINK}")
    assert "#Waste" not in fitted


def test_a_hashtag_inside_the_last_sentence_is_one_of_its_words():
    text = f"Come and celebrate at the park this weekend with us #PrideMonth {LINK}"

    fitted = fit_bluesky(text, LINK, grapheme_length(text) - 5)

    # Cut as words are, with "…", never dropped as a tag would be.
    assert fitted == f"Come and celebrate at the park this weekend with us…\n{LINK}"
