"""X's text rules: the weighted length X counts (twitter-text) and fitting a
post into X's 280 weighted characters with its link intact."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

from twitter_text import parse_tweet
from twitter_text.config import config as twitter_text_config
from twitter_text.extract_urls import extract_urls_with_indices
from twitter_text.get_character_weight import get_character_weight
from twitter_text.parse_tweet import convert_line_ending

ELLIPSIS = "…"
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


def fit_x(
    text: str,
    link: str,
    limit: int = 280,
    measure: Callable[[str], int] = weighted_length,
) -> str:
    """``text`` shortened to X's weighted ``limit``, with ``link`` intact.

    ``measure`` counts a text as the platform does: X's weighted length by
    default; another platform that shortens the same way passes its own.

    When the text is too long it is cut at a word boundary, "…" marks the cut
    and the link goes on its own line at the end. The link is never shortened
    and is added if the text lacked it. Raises ``ValueError`` when the link
    alone does not fit.
    """
    text = _INVALID.sub("", unicodedata.normalize("NFC", text)).strip()
    if link and not _has_token(text, link):
        text = f"{text}\n\n{link}".strip()
    if measure(text) <= limit:
        return text
    if measure(link) > limit:
        raise ValueError("The link alone is longer than X allows.")
    body = _without_token(text, link) if link else text

    def candidate(cut: int) -> str:
        kept = body[:cut].rstrip()
        parts = [f"{kept}{ELLIPSIS}" if kept else "", link]
        return "\n".join(p for p in parts if p)

    # Binary search for the longest prefix that fits, then back off to a word
    # boundary; the final loop re-checks, because URLs and emoji inside the
    # body make the weight grow unevenly.
    low, high = 0, len(body)
    while low < high:
        mid = (low + high + 1) // 2
        if measure(candidate(mid)) <= limit:
            low = mid
        else:
            high = mid - 1
    cut = _word_boundary(body, low)
    while cut > 0 and measure(candidate(cut)) > limit:
        cut = _word_boundary(body, cut - 1)
    return candidate(cut)


def _word_boundary(body: str, cut: int) -> int:
    """The largest position <= ``cut`` that does not split a word.

    Text written without spaces (Chinese, Japanese) has no word boundary to
    find, so it is cut at the character.
    """
    if cut >= len(body) or body[cut].isspace():
        return cut
    space = max(body.rfind(" ", 0, cut), body.rfind("\n", 0, cut))
    if space > 0:
        return space
    return cut if not any(ch.isspace() for ch in body) else 0


def _token_starts(text: str, link: str) -> list[int]:
    """Where ``link`` stands in ``text`` as a word of its own: with whitespace
    or the text's ends on both sides. Found by plain search: a regular
    expression made from the link would be compiled afresh for every page, as
    every page has its own link."""
    starts, start = [], text.find(link)
    while start != -1:
        end = start + len(link)
        if (start == 0 or text[start - 1].isspace()) and (
            end == len(text) or text[end].isspace()
        ):
            starts.append(start)
            start = text.find(link, end)
        else:
            start = text.find(link, start + 1)
    return starts


def _has_token(text: str, link: str) -> bool:
    return bool(_token_starts(text, link))


def _without_token(text: str, link: str) -> str:
    kept, end = [], 0
    for start in _token_starts(text, link):
        kept += [text[end:start], " "]
        end = start + len(link)
    text = "".join(kept) + text[end:]
    return re.sub(r"[ \t]{2,}", " ", text).strip()
