"""The sandbox's check of X's 280-character limit: an upper bound first, the
exact count only when the bound is over. It must refuse exactly what X refuses."""

from __future__ import annotations

from hypothesis import example, given, settings
from twitter_text import parse_tweet
from twitter_text.regexp import emoji as emoji_data

from sandbox.x.length import LIMIT, too_long, upper_bound
from tests.x_text import LINK, texts

COUNCIL_POST = (
    "Garden waste collections restart on Monday 2 March. Put your brown bin out "
    "by 7am on your usual day; late bins can’t be emptied until the next round. "
    "Subscriptions cost £45 a year.\n\n#WasteAndRecycling\n" + LINK
)


@settings(max_examples=300, deadline=None)
@given(texts(max_pieces=160))
@example("1\u20e3 and #\ufe0f\u20e3 are keycap emoji" * 12)
@example("a.co " * 60)  # short URLs, each weighing 23
def test_the_bound_is_never_under_and_the_verdict_is_xs(text):
    weight = parse_tweet(text).weightedLength
    assert upper_bound(text) >= weight
    assert too_long(text) is (weight > LIMIT)


def test_an_everyday_council_post_needs_no_exact_count():
    assert upper_bound(COUNCIL_POST) <= LIMIT
    assert not too_long(COUNCIL_POST)
    assert too_long(COUNCIL_POST + " Thanks!" * 20)


def test_every_emoji_holds_a_character_beyond_ascii():
    """What makes the bound a bound: no emoji is weighed below its 2."""
    for low, _high in emoji_data.single_codepoint_emoji_ranges:
        assert low > 0x7F
    for entry in emoji_data.emoji_list:
        codes = [int(code, 16) for code in entry.codepoint.split()]
        assert any(code > 0x7F for code in codes), entry.codepoint


def test_a_link_to_a_site_on_this_machine_weighs_23_like_its_real_domain():
    """The site under test posts links on 127.0.0.1 or localhost, standing for
    its real domain: X here weighs them as X weighs that domain's links."""
    words = "word " * 51
    for host in ("127.0.0.1:8000", "localhost"):
        text = f"{words}\nhttp://{host}/news/bins/?utm_source=x&utm_medium=social"
        assert not too_long(text)
        assert too_long(f"{words} more\n{text}")
