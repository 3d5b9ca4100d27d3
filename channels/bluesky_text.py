"""Bluesky's text rules: 300 graphemes (and 3,000 UTF-8 bytes) a post, links
counted in full, and rich-text facets that mark links and hashtags by their
byte offsets in the UTF-8 text."""

from __future__ import annotations

import functools
import math

import regex
from atproto import models
from atproto_client.utils.facet_detection import detect_facets

from .fitting import fit

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
_GRAPHEME = regex.compile(r"\X")


@functools.lru_cache(maxsize=2048)
def grapheme_length(text: str) -> int:
    """How many user-perceived characters (Unicode extended grapheme clusters,
    as Bluesky counts them) ``text`` holds: a flag, a family emoji or an "e"
    with its accent is one; a link counts every one of its characters.

    In ASCII every character is a cluster but a CR LF pair, which is counted
    without the cluster search (most council posts)."""
    if text.isascii():
        return len(text) - text.count("\r\n")
    return len(_GRAPHEME.findall(text))


def weight(text: str) -> int:
    """``text``'s length against both of Bluesky's limits at once: its
    graphemes, or a tenth of its UTF-8 bytes when that is more (300 graphemes
    of long emoji sequences can pass 3,000 bytes)."""
    return max(grapheme_length(text), math.ceil(len(text.encode()) / 10))


def fit_bluesky(text: str, link: str, limit: int = MAX_GRAPHEMES) -> str:
    """``text`` within Bluesky's limits with ``link`` intact (see
    :func:`channels.fitting.fit`). Raises ``ValueError`` when the link alone
    does not fit."""
    return fit(text, link, limit, weight, "Bluesky")


def facets(text: str, link: str) -> list[models.AppBskyRichtextFacet.Main]:
    """The rich-text facets of ``text``: the page's ``link`` wherever it
    stands, and the links and hashtags the SDK finds (without network: no
    mentions). The SDK finds only links on a known top-level domain; the
    page's own link is marked even on a local address (the demo, tests)."""
    found = detect_facets(text)
    data = text.encode()
    wanted = link.encode()
    start = data.find(wanted) if link else -1
    while start != -1:
        end = start + len(wanted)
        if not any(
            f.index.byte_start < end and start < f.index.byte_end for f in found
        ):
            found.append(
                models.AppBskyRichtextFacet.Main(
                    features=[models.AppBskyRichtextFacet.Link(uri=link)],
                    index=models.AppBskyRichtextFacet.ByteSlice(
                        byte_start=start, byte_end=end
                    ),
                )
            )
        start = data.find(wanted, end)
    return sorted(found, key=lambda facet: facet.index.byte_start)
