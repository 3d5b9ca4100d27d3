"""A platform that shortens long text refuses a post only when its link alone is
over the limit: its check says so exactly when fitting the text would fail."""

from __future__ import annotations

import pytest

from channels import registry
from channels.values import Post

LONG_URL = "https://www.exampleshire.gov.uk/news/" + "bins-" * 120
#: Not a link to X's or Mastodon's way of counting, so counted in full there.
LONG_NON_URL = "council page " + "a" * 600
SHORT_URL = "https://www.exampleshire.gov.uk/news/bins/"
LONG_TEXT = "Bins will be collected a day late after the bank holiday. " * 20


def _refused_for_link(adapter, post: Post) -> bool:
    return any("link is too long" in problem for problem in adapter.validate(post))


def _fitting_fails(adapter, post: Post) -> bool:
    try:
        adapter.fit_text(post.text, post.link)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("platform", ["x", "mastodon", "bluesky"])
@pytest.mark.parametrize(
    "text, link",
    [
        ("Bins late", SHORT_URL),
        (LONG_TEXT, SHORT_URL),
        (f"{LONG_TEXT} {SHORT_URL}", SHORT_URL),
        ("Bins late", LONG_URL),
        (LONG_TEXT, LONG_URL),
        ("Bins late", LONG_NON_URL),
        (f"Bins late {LONG_NON_URL}", LONG_NON_URL),
    ],
    ids=["short", "long-text", "long-text-with-link", "long-url", "both-long",
         "long-non-url", "long-non-url-in-text"],
)
def test_the_link_is_refused_exactly_when_the_text_cannot_be_fitted(
    platform, text, link
):
    adapter = registry.get(platform)
    post = Post(text=text, link=link, marker=link)

    assert _refused_for_link(adapter, post) == _fitting_fails(adapter, post)


@pytest.mark.parametrize(
    "platform, refused",
    [("x", False), ("mastodon", False), ("bluesky", True)],
)
def test_each_platform_counts_a_long_link_its_own_way(platform, refused):
    # X and Mastodon count any link as 23 characters; Bluesky counts it whole.
    adapter = registry.get(platform)
    post = Post(text="Bins late", link=LONG_URL, marker=LONG_URL)

    assert _refused_for_link(adapter, post) is refused


@pytest.mark.parametrize("platform", ["x", "mastodon", "bluesky"])
def test_a_link_that_is_no_url_to_the_platform_and_too_long_is_refused(platform):
    adapter = registry.get(platform)
    post = Post(text="Bins late", link=LONG_NON_URL, marker=LONG_NON_URL)

    assert _refused_for_link(adapter, post)
