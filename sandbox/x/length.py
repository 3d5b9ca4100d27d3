"""X's 280-character limit, checked as X checks it but without the usual cost.

twitter-text's ``parse_tweet`` gives the weighted length X enforces, and spends
most of its time (about 1.7 of 1.9 ms for a council post) searching for emoji.
The sandbox only needs to know whether a post is over the limit, so it first
takes a cheap upper bound: each URL at its fixed weight, every other ASCII
character at 1 and anything else at 2, the most a character weighs. An emoji
weighs 2 whatever its length and always holds a character beyond ASCII, so it is
never counted below its weight either. Only a post whose bound is over the limit
is counted exactly. Most posts are far under it.

X wraps every link in a 23-character t.co link, but twitter-text finds a link
only on a known top-level domain. A site under test runs on ``localhost`` or an
IP address, which stands for its real domain, so such a link is weighed as a
link too: otherwise X here would refuse what X in production accepts.
"""

from __future__ import annotations

import re
import unicodedata

from twitter_text import parse_tweet
from twitter_text.config import config as twitter_text_config
from twitter_text.extract_urls import extract_urls_with_indices
from twitter_text.parse_tweet import convert_line_ending

LIMIT = 280
_OPTIONS = twitter_text_config["defaults"]
URL_WEIGHT = _OPTIONS["transformed_url_length"]
_LOCAL_HOST = re.compile(
    r"\b(https?://)(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])"
    r"(?=[:/?#]|\s|$)",
    re.IGNORECASE,
)


def _most(text: str) -> int:
    """The most ``text`` (holding no URL) can weigh: 1 an ASCII character, else 2."""
    beyond_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return len(text) + beyond_ascii


def upper_bound(text: str) -> int:
    """A weight ``parse_tweet(text).weightedLength`` never exceeds. The text is
    normalised and its URLs found exactly as ``parse_tweet`` does."""
    normal = convert_line_ending(unicodedata.normalize("NFC", text))
    bound, position = 0, 0
    for url in extract_urls_with_indices(normal):
        start = url["indices"][0]
        bound += _most(normal[position:start]) + URL_WEIGHT
        position = start + len(url["url"])
    return bound + _most(normal[position:])


def too_long(text: str) -> bool:
    """Whether X refuses ``text`` as over 280 weighted characters."""
    text = _LOCAL_HOST.sub(r"\1example.com", text)
    return upper_bound(text) > LIMIT and parse_tweet(text).weightedLength > LIMIT
