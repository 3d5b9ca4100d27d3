"""Feed posts as residents read them: links as short labels and cards without
tracking parameters, long text cut at a word (never inside a link) with an
ellipsis, and every picture described."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from council_site.core.feed_display import ELLIPSIS, readable, without_tracking
from publishing.models import ChannelAccount, SocialFeed
from tests.public.conftest import page_html

TRACKED = (
    "https://www.exampleshire.gov.uk/news/garden-waste/"
    "?utm_source=facebook&utm_medium=social&utm_campaign=bins&fbclid=IwAR0x"
)


def test_tracking_parameters_are_dropped_and_others_kept():
    assert without_tracking(TRACKED) == (
        "https://www.exampleshire.gov.uk/news/garden-waste/"
    )
    assert without_tracking("https://a.gov.uk/search?q=bins&utm_source=x") == (
        "https://a.gov.uk/search?q=bins"
    )


def test_a_link_becomes_a_short_label_and_a_clean_card():
    post = readable(f"Garden waste restarts. Details: {TRACKED}.")

    assert post.text == (
        "Garden waste restarts. Details: exampleshire.gov.uk/news/garden-waste."
    )
    assert [(card.url, card.host, card.path) for card in post.cards] == [
        (
            "https://www.exampleshire.gov.uk/news/garden-waste/",
            "exampleshire.gov.uk",
            "/news/garden-waste",
        )
    ]
    assert not post.cut


def test_long_text_is_cut_at_a_word_before_a_link_it_cannot_hold():
    words = "Gritters are out tonight on priority routes " * 6  # 270 characters
    post = readable(f"{words}{TRACKED} and more")

    assert post.cut
    assert post.text.endswith("routes" + ELLIPSIS)
    assert "exampleshire" not in post.text  # the label did not fit whole
    assert post.cards[0].url.endswith("/news/garden-waste/")  # its card stays


words = st.lists(
    st.sampled_from(["bins", "Café", "roads,", "closed.", "\n", TRACKED, "日本語"]),
    max_size=120,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(words, st.integers(min_value=20, max_value=300))
def test_the_text_fits_and_is_never_cut_inside_a_word_or_link(text, limit):
    full = readable(text, limit=10_000).text
    post = readable(text, limit=limit)

    assert len(post.text) <= limit
    assert "utm_" not in post.text and "fbclid" not in post.text
    if post.cut:
        kept = post.text.removesuffix(ELLIPSIS)
        assert full.startswith(kept)
        following = full[len(kept) :]
        # The cut falls between words: what follows starts with a space or
        # the punctuation trimmed before the ellipsis.
        assert not kept or not following or not following[0].isalnum(), following
    else:
        assert post.text == full


@pytest.mark.django_db
def test_feeds_on_the_page_show_labels_cards_and_described_pictures(client, site):
    account = ChannelAccount.objects.create(
        platform="facebook", display_name="Exampleshire CC", remote_id="page-1"
    )
    long_text = "Roadworks on Market Street start next week. " * 8
    SocialFeed.objects.create(
        account=account,
        items=[
            {
                "id": "1",
                "title": "",
                "text": f"Bins are back. {TRACKED}",
                "permalink": "https://facebook.example/posts/1",
                "created_at": "2026-03-01T10:00:00+00:00",
                "media": [{"src": "/media/feeds/1.png", "alt": "", "kind": "image"}],
            },
            {
                "id": "2",
                "title": "",
                "text": f"{long_text}{TRACKED}",
                "permalink": "https://facebook.example/posts/2",
                "created_at": "2026-03-02T10:00:00+00:00",
                "media": [],
            },
        ],
    )

    html = page_html(client, "/")

    assert "utm_" not in html and "fbclid" not in html
    assert (
        html.count(
            'class="link-card" href="https://www.exampleshire.gov.uk/news/garden-waste/"'
        )
        == 2
    )
    assert 'alt="Picture posted by Exampleshire CC"' in html
    texts = re.findall(r'<p class="feed-item__text">(.*?)</p>', html, re.S)
    assert texts[0] == "Bins are back. exampleshire.gov.uk/news/garden-waste"
    kept = texts[1].removesuffix(ELLIPSIS)
    assert len(texts[1]) <= 280 and kept != texts[1]
    assert long_text.startswith(kept) and long_text[len(kept)] == " "
    assert "<a" not in "".join(texts)  # no link in the text, cut or not
