"""X's text rules: the weighted length and fitting a post into 280."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from channels.compose import DEFAULT_TEMPLATE, compose
from channels.x_text import fit_x, weighted_length
from tests.x_text import LINK, texts


def test_weighted_length_counts_urls_as_23_and_cjk_as_2():
    assert weighted_length(LINK) == 23
    assert weighted_length("日本語") == 6
    assert weighted_length("a" * 10) == 10


def test_fit_x_leaves_short_text_alone():
    text = f"Short news {LINK}"
    assert fit_x(text, LINK) == text


def test_fit_x_truncates_at_a_word_and_keeps_the_link():
    text = "Council tax bills " + "are going out this week " * 20 + LINK
    fitted = fit_x(text, LINK)
    body, link = fitted.rsplit("\n", 1)
    assert link == LINK
    assert body.endswith("…")
    assert weighted_length(fitted) <= 280
    assert (body[:-1] + " ") in text  # the cut fell between two words


def test_fit_x_adds_a_missing_link():
    fitted = fit_x("word " * 100, LINK)
    assert fitted.endswith("\n" + LINK)
    assert weighted_length(fitted) <= 280


def test_fit_x_counts_the_link_only_where_it_stands_as_a_word_of_its_own():
    # Inside a longer address it is not there, so it is added...
    inside = f"Read {LINK}minutes/ first"
    assert fit_x(inside, LINK) == f"{inside}\n\n{LINK}"
    # ...but any whitespace around it (here a no-break space) sets it apart.
    apart = f"Read\u00a0{LINK}\u00a0first"
    assert fit_x(apart, LINK) == apart
    # Cut short, the text loses each whole-word copy and keeps the others.
    fitted = fit_x(f"{LINK} {LINK}minutes/ " + "word " * 100, LINK)
    assert fitted.startswith(f"{LINK}minutes/ word") and fitted.endswith(f"…\n{LINK}")


def test_fit_x_cuts_text_without_spaces_by_character():
    fitted = fit_x("日本語" * 100, LINK)
    assert weighted_length(fitted) == 280
    assert fitted.endswith("…\n" + LINK)


urls = st.builds(
    "https://{}.gov.uk/{}".format,
    st.from_regex(r"[a-z]{1,20}", fullmatch=True),
    st.from_regex(r"[a-z0-9/_-]{0,120}", fullmatch=True),
)


@settings(max_examples=150, deadline=None)
@given(title=st.text(max_size=300), summary=st.text(max_size=1200), link=urls)
@example(title="🏴󠁧󠁢󠁳󠁣󠁴󠁿" * 200, summary="", link="https://a.gov.uk/x")
@example(title="example.com " * 60, summary="x", link="https://a.gov.uk/")
def test_fit_x_always_fits_and_keeps_the_link_intact(title, summary, link):
    text = compose(DEFAULT_TEMPLATE, title=title, summary=summary, link=link)
    fitted = fit_x(text, link)
    assert weighted_length(fitted) <= 280
    assert re.search(rf"(?<!\S){re.escape(link)}(?!\S)", fitted)


@settings(max_examples=300, deadline=None)
@given(texts())
@example(
    "Collections move back a day after the bank holiday. £5 fee’s waived."
    f"\r\n\r\n#WasteAndRecycling\n{LINK}?utm_source=x"
)
@example("1\u20e3 and #\ufe0f\u20e3 are keycap emoji")
def test_weighted_length_agrees_with_twitter_text(text):
    from twitter_text import parse_tweet

    assert weighted_length(text) == parse_tweet(text).weightedLength


def test_everyday_council_text_is_counted_without_the_emoji_search():
    from channels.x_text import _emoji_alphabet

    text = "Café’s “open” – £5 fee.\r\nSee exampleshire.gov.uk #Bins"
    assert _emoji_alphabet().isdisjoint(text)
    assert not _emoji_alphabet().isdisjoint("Bins 🗑")
    assert not _emoji_alphabet().isdisjoint("1\u20e3")
    assert weighted_length(text) == len(text) - len("exampleshire.gov.uk") + 23 - 1


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000"]
)
def test_a_link_to_this_machine_weighs_23_like_any_link(host):
    link = f"http://{host}/news/bins/?utm_source=x&utm_medium=social"
    assert weighted_length(link) == 23
    assert weighted_length(f"Bins 😷 {link}") == len("Bins ") + 2 + 1 + 23
    fitted = fit_x("word " * 100, link)
    assert fitted.endswith("…\n" + link)
    # The text gets the room a 23-character link leaves: 280 - 23 - "\n".
    assert len(fitted) - len(link) >= 250
