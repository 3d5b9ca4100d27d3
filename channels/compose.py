"""Message composition shared by every channel.

Pure functions of strings: no Wagtail page, no settings, no platform. The
publishing service passes in a page's title, summary and canonical link; a
platform's own rules (X's weighted length) live with its adapter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_TEMPLATE = "{title}\n\n{summary}\n\n{link} {hashtags}"

# Only these names are substituted; anything else in a template stays literal, so
# a template can never reach attributes the way str.format's "{x.__class__}" can.
_PLACEHOLDER = re.compile(r"\{(title|summary|link|hashtags)\}")
_BLANK_LINES = re.compile(r"\n{3,}")


@lru_cache(maxsize=256)  # each of a page's channels tags the same department
def hashtag(name: str) -> str:
    """A hashtag from a department or topic name.

    "Waste & Recycling" becomes "#WasteAndRecycling"; a name with no letters
    gives "" (X does not link a hashtag made only of digits).
    """
    words = re.findall(r"[^\W_]+", name.replace("&", " and "))
    tag = "".join(word[:1].upper() + word[1:] for word in words)
    return f"#{tag}" if any(ch.isalpha() for ch in tag) else ""


def compose(
    template: str,
    *,
    title: str,
    summary: str,
    link: str,
    hashtags: Iterable[str] = (),
    override: str = "",
) -> str:
    """The post text for one channel.

    ``override`` (an editor's own wording) wins over the template, but the link
    is appended when the editor left it out: it is what reconciliation and
    readers follow back to the page. Empty parts leave no blank gaps.
    """
    if override.strip():
        text = override.strip()
        return text if link in text else f"{text}\n\n{link}"
    tags = " ".join(tag if tag.startswith("#") else hashtag(tag) for tag in hashtags)
    values = {"title": title, "summary": summary, "link": link, "hashtags": tags}
    text = _PLACEHOLDER.sub(lambda m: values[m.group(1)].strip(), template)
    text = "\n".join(line.strip() for line in text.splitlines())
    text = _BLANK_LINES.sub("\n\n", text).strip()
    if link and link not in text:
        text = f"{text}\n\n{link}"
    return text


def with_utm(
    link: str, *, source: str, medium: str = "social", campaign: str = ""
) -> str:
    """``link`` with UTM tracking parameters, replacing any it already had."""
    parts, kept = _without_utm(link)
    tags = _utm_query(source, medium, campaign)
    return urlunsplit(parts._replace(query=f"{kept}&{tags}" if kept else tags))


# A publish tags one page's link for each of its channels, and each channel's
# tags are the same on every page: each part is worked out once.


@lru_cache(maxsize=256)
def _without_utm(link: str) -> tuple:
    """``link`` split (``urlsplit``), and its query without UTM parameters,
    encoded."""
    parts = urlsplit(link)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.startswith("utm_")
    ]
    return parts, urlencode(query)


@lru_cache(maxsize=64)
def _utm_query(source: str, medium: str, campaign: str) -> str:
    query = [("utm_source", source), ("utm_medium", medium)]
    if campaign:
        query.append(("utm_campaign", campaign))
    return urlencode(query)
