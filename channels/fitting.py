"""Fitting a post's text into a platform's limit with its link intact.

One algorithm for every platform that shortens over-long text (X, Bluesky);
each passes its own way of measuring (weighted characters, graphemes).
"""

from __future__ import annotations

import re
from collections.abc import Callable

ELLIPSIS = "…"


def fit(
    text: str, link: str, limit: int, length: Callable[[str], int], platform: str
) -> str:
    """``text`` shortened so that ``length`` of it is at most ``limit``, with
    ``link`` intact.

    When the text is too long, a last line of hashtags goes first, a tag at a
    time from the last: a post without its tags loses less than one whose
    sentence is cut, and needs no "…" (a hashtag inside a sentence stays part
    of it). If it is still too long it is cut at a word boundary, "…" marks the
    cut and the link goes on its own line at the end. The link is never
    shortened and is added if the text lacked it. Raises ``ValueError`` when
    the link alone does not fit.
    """
    text = text.strip()
    if link and not _has_token(text, link):
        text = f"{text}\n\n{link}".strip()
    while length(text) > limit and (fewer := _without_last_hashtag(text)):
        text = fewer
    if length(text) <= limit:
        return text
    if length(link) > limit:
        raise ValueError(f"The link alone is longer than {platform} allows.")
    body = _without_token(text, link) if link else text

    def candidate(cut: int) -> str:
        kept = body[:cut].rstrip()
        parts = [f"{kept}{ELLIPSIS}" if kept else "", link]
        return "\n".join(p for p in parts if p)

    # Binary search for the longest prefix that fits, then back off to a word
    # boundary; the final loop re-checks, because URLs and emoji inside the
    # body make the length grow unevenly.
    low, high = 0, len(body)
    while low < high:
        mid = (low + high + 1) // 2
        if length(candidate(mid)) <= limit:
            low = mid
        else:
            high = mid - 1
    cut = _word_boundary(body, low)
    while cut > 0 and length(candidate(cut)) > limit:
        cut = _word_boundary(body, cut - 1)
    return candidate(cut)


def _without_last_hashtag(text: str) -> str | None:
    """``text`` less its last hashtag when its last line holds hashtags only
    (as the council's templates put them), the line too once it is empty;
    ``None`` when it ends otherwise."""
    head, newline, last_line = text.rpartition("\n")
    tags = last_line.split()
    if not (newline and head.strip() and tags):
        return None
    if not all(len(tag) > 1 and tag.startswith("#") for tag in tags):
        return None
    return f"{head}\n{' '.join(tags[:-1])}" if len(tags) > 1 else head.rstrip()


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
