"""A stored feed post as residents read it: text without raw links, and the
links as cards.

Posts carry full addresses, often with tracking parameters (our own
cross-posts add ``utm_*`` tags). On the site each address is shown by a short,
readable label (``exampleshire.gov.uk/bins/garden-waste``), followed by a card
that links to the address without its tracking parameters. Long text is cut at
a word, never inside a label, and ends with an ellipsis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ELLIPSIS = "…"
#: How much of a post's text a feed shows, in characters.
TEXT_LIMIT = 280
#: Cards shown under one post; a post with more links has its permalink.
CARDS_SHOWN = 2
LABEL_LIMIT = 60

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
# Punctuation that ends a sentence rather than the address before it.
_TRAILING = ".,;:!?)]}'\""
# Query parameters that only tell the sender where a click came from.
_TRACKING = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|msclkid|mc_[ce]id|igshid|ref_src|_hs(enc|mi))$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LinkCard:
    url: str
    host: str
    path: str


@dataclass(frozen=True)
class ReadablePost:
    text: str
    cards: tuple[LinkCard, ...]
    cut: bool


def without_tracking(url: str) -> str:
    """``url`` without its tracking parameters (and their ``?`` if no other)."""
    parts = urlsplit(url)
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING.match(key)
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def card(url: str) -> LinkCard:
    """The card for ``url``: its address without tracking, host and path."""
    clean = without_tracking(url)
    parts = urlsplit(clean)
    host = (parts.hostname or "").removeprefix("www.")
    path = parts.path.rstrip("/")
    if parts.query:
        path += f"?{parts.query}"
    return LinkCard(url=clean, host=host, path=path)


def label(link: LinkCard) -> str:
    """The short text that stands for a link in a post's text."""
    text = link.host + link.path
    if len(text) > LABEL_LIMIT:
        return text[: LABEL_LIMIT - 1] + ELLIPSIS
    return text


def readable(text: str, limit: int = TEXT_LIMIT) -> ReadablePost:
    """``text`` with each address replaced by its label, cut to ``limit``
    characters at a word with an ellipsis, and the cards of its addresses
    (each once, in order, at most :data:`CARDS_SHOWN`)."""
    text = text.strip()
    pieces: list[tuple[str, bool]] = []  # (text, whether it is a label)
    cards: dict[str, LinkCard] = {}
    position = 0
    for match in _URL.finditer(text):
        url = match.group().rstrip(_TRAILING)
        if not urlsplit(url).hostname:
            continue
        pieces.append((text[position : match.start()], False))
        link = card(url)
        cards.setdefault(link.url, link)
        pieces.append((label(link), True))
        position = match.start() + len(url)
    pieces.append((text[position:], False))
    shown, cut = _cut(pieces, limit)
    return ReadablePost(shown, tuple(cards.values())[:CARDS_SHOWN], cut)


def _cut(pieces: list[tuple[str, bool]], limit: int) -> tuple[str, bool]:
    """The pieces joined, at most ``limit`` characters with the ellipsis: a
    label is kept whole or left out, plain text is cut at a space."""
    kept, room = [], limit - len(ELLIPSIS)
    if sum(len(piece) for piece, _ in pieces) <= limit:
        return "".join(piece for piece, _ in pieces), False
    for piece, is_label in pieces:
        if len(piece) <= room:
            kept.append(piece)
            room -= len(piece)
            continue
        if not is_label:
            space = piece.rfind(" ", 0, room + 1)
            kept.append(piece[:space] if space > 0 else "")
        break
    shown = "".join(kept).rstrip(" \t\n" + _TRAILING.replace(")", ""))
    return shown + ELLIPSIS, True
