"""X's text rules: the weighted length X counts (twitter-text) and fitting a
post into X's 280 weighted characters with its link intact."""

from __future__ import annotations

import functools
import re
import unicodedata

from twitter_text import parse_tweet
from twitter_text.config import config as twitter_text_config
from twitter_text.extract_urls import extract_urls_with_indices
from twitter_text.get_character_weight import get_character_weight
from twitter_text.parse_tweet import convert_line_ending

from .fitting import fit

# Characters X refuses outright (twitter-text's "invalid characters").
_INVALID = re.compile("[\ufffe\ufeff\uffff\u202a-\u202e]")
# A link's host when the site runs on this machine (the demo, tests). X wraps
# every link in a 23-character t.co link, but twitter-text only finds links on
# a known top-level domain, so it would count "http://127.0.0.1:8000/..." letter
# by letter. Such a host is weighed as the real domain it stands in for.
_LOCAL_HOST = re.compile(
    r"\b(https?://)(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])"
    r"(?=[:/?#]|\s|$)",
    re.IGNORECASE,
)
_STAND_IN_HOST = r"\1example.com"


def stand_in_local_hosts(text: str) -> str:
    """``text`` with each link to ``localhost`` or an IP address put on a
    real-looking domain, so that it is counted as a link, as the site's real
    address is in production (platforms find links on known domains only)."""
    return _LOCAL_HOST.sub(_STAND_IN_HOST, text)


@functools.lru_cache(maxsize=2048)
def weighted_length(text: str) -> int:
    """Length as X counts it: URLs 23, CJK and emoji 2, most Latin text 1.

    Always the number twitter-text's ``parse_tweet`` gives, a link to
    ``localhost`` or an IP address counted as a link too (as X counts the
    site's real address in production). Its emoji search
    takes most of its time (1.3 of 1.5 ms for a council post), so a text in
    which no emoji can occur (most council posts, "£" and curly quotes
    included) is counted with the same library's URL finder and character
    weights, without that search.

    Cached: the same text is measured again when it is validated and when the
    counter asks.
    """
    text = stand_in_local_hosts(text)
    normal = convert_line_ending(unicodedata.normalize("NFC", text))
    if not _emoji_alphabet().isdisjoint(normal):
        return parse_tweet(text).weightedLength
    options = twitter_text_config["defaults"]
    weight, position = 0, 0
    # As parse_tweet does: a URL weighs the same whatever its length, every
    # other character by its code point.
    for url in extract_urls_with_indices(normal):
        start = url["indices"][0]
        weight += sum(map(_character_weight, normal[position:start]))
        weight += options["transformed_url_length"] * options["scale"]
        position = start + len(url["url"])
    weight += sum(map(_character_weight, normal[position:]))
    return int(weight / options["scale"])


@functools.lru_cache(maxsize=4096)
def _character_weight(char: str) -> int:
    return get_character_weight(char, twitter_text_config["defaults"])


@functools.cache
def _emoji_alphabet() -> frozenset[str]:
    """Every character without which twitter-text's emoji pattern cannot match.

    The pattern is each listed multi-character emoji, or one character from the
    single-character ranges. Each multi-character emoji holds a character
    beyond ASCII (the keycaps' U+20E3 at least), so a text with none of these
    characters holds no emoji.
    """
    from twitter_text.regexp import emoji as emoji_data

    alphabet = {
        chr(code)
        for low, high in emoji_data.single_codepoint_emoji_ranges
        for code in range(low, high + 1)
    }
    for entry in emoji_data.emoji_list:
        codes = [chr(int(code, 16)) for code in entry.codepoint.split()]
        beyond_ascii = [char for char in codes if not char.isascii()]
        if len(codes) > 1 and not beyond_ascii:
            raise RuntimeError(f"an emoji made only of ASCII: {entry.codepoint}")
        alphabet.update(beyond_ascii)
    return frozenset(alphabet)


def warm_up_weighing() -> None:
    """Do :func:`weighted_length`'s one-off set-up (7 ms) ahead of the first
    post: a worker calls this before it forks its pool processes."""
    _emoji_alphabet()


def fit_x(text: str, link: str, limit: int = 280) -> str:
    """``text`` shortened to X's weighted ``limit``, with ``link`` intact (see
    :func:`channels.fitting.fit`). Raises ``ValueError`` when the link alone
    does not fit."""
    text = _INVALID.sub("", unicodedata.normalize("NFC", text))
    return fit(text, link, limit, weighted_length, "X")
