"""The council's online protocol guidelines, made enforceable.

:func:`check_text` runs every rule of a :class:`~publishing.models.ProtocolSettings`
over a post's text and images; the outbox (:func:`check_post`) and the editor's
live preview both call it, so what an editor is warned about is exactly what
holds a post. A finding holds the row for a comms manager's approval.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils import timezone

from channels.values import Image, Post

COUNCIL_TIMEZONE = ZoneInfo("Europe/London")
PERSONAL_DATA = "Personal data must not be posted."


@dataclass(frozen=True)
class Finding:
    """One broken rule. ``start``/``end`` index the offending text in the post's
    text (Python string indices, so code points); they are ``None`` for a
    finding about media (missing alt text)."""

    rule: str
    message: str
    match: str = ""
    start: int | None = None
    end: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


# Personal data ---------------------------------------------------------------------

EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}"
    r"(?![\w-])"
)

# A UK number: +44 (optionally "(0)") or a trunk 0, then 9 or 10 more digits, the
# first of which starts a real range (01, 02, 03, 05, 07, 08, 09). One space, dash
# or bracket may separate digits. The look-arounds keep out parts of bigger
# tokens: dates (2026-01-15), sums (£1,250,000), references (A123, REF/0123).
_SEP = r"(?:\)?[ -]?)"
PHONE = re.compile(
    r"(?<![\w+£$€#/.,-])"
    r"(?:(?:\+44|0044)[ -]?(?:\(0\)[ -]?)?|\(?0)"
    rf"[1235789](?:{_SEP}\d){{8,9}}"
    r"(?![\w/]|[-.,]\d)"
)

# National Insurance numbers, HMRC's format (NIM39110): the first letter is never
# D, F, I, Q, U or V; the second is none of those nor O; some pairs are never
# issued; six digits; a suffix A to D.
NI_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])"
    r"([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])"
    r" ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
NI_UNUSED_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}

NHS_NUMBER = re.compile(r"(?<![\w-])(\d{3})([ -]?)(\d{3})\2(\d{4})(?![\w]|[-.,]\d)")


def nhs_check_digit_ok(digits: str) -> bool:
    """The modulus 11 check of NHS Digital's data dictionary: weights 10 to 2 on
    the first nine digits; 11 minus the remainder is the check digit (11 means
    0, 10 means the number cannot exist)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _emails(text: str) -> Iterator[Finding]:
    for m in EMAIL.finditer(text):
        yield Finding(
            "email_address",
            f"This looks like an email address: {m.group()}. {PERSONAL_DATA} "
            "If it is a council mailbox, a comms manager can approve the post.",
            m.group(),
            m.start(),
            m.end(),
        )


def _phones(text: str) -> Iterator[Finding]:
    for m in PHONE.finditer(text):
        yield Finding(
            "phone_number",
            f"This looks like a UK phone number: {m.group()}. {PERSONAL_DATA} "
            "If it is a council number, a comms manager can approve the post.",
            m.group(),
            m.start(),
            m.end(),
        )


def _ni_numbers(text: str) -> Iterator[Finding]:
    for m in NI_NUMBER.finditer(text):
        if m.group(1).upper() in NI_UNUSED_PREFIXES:
            continue
        yield Finding(
            "ni_number",
            f"This looks like a National Insurance number: {m.group()}. "
            f"{PERSONAL_DATA}",
            m.group(),
            m.start(),
            m.end(),
        )


def _nhs_numbers(text: str) -> Iterator[Finding]:
    for m in NHS_NUMBER.finditer(text):
        if not nhs_check_digit_ok(m.group(1) + m.group(3) + m.group(4)):
            continue
        yield Finding(
            "nhs_number",
            f"This looks like an NHS number: {m.group()}. {PERSONAL_DATA}",
            m.group(),
            m.start(),
            m.end(),
        )


# Words and phrases -----------------------------------------------------------------


def phrases(value: str) -> list[str]:
    """The non-blank lines of a settings text field."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


@lru_cache(maxsize=1024)  # the same phrases for every post, changed rarely
def _phrase_pattern(phrase: str, plurals: bool = False) -> re.Pattern:
    # Spaces and hyphens are interchangeable ("OFFICIAL SENSITIVE" also finds
    # "OFFICIAL-SENSITIVE"); whole words only, so SECRET does not find "secretary".
    words = [re.escape(word) for word in re.split(r"[\s-]+", phrase) if word]
    body = r"[\s-]+".join(words)
    suffix = "(?:e?s)?" if plurals else ""
    return re.compile(rf"(?<!\w){body}{suffix}(?!\w)", re.IGNORECASE)


def _phrase_findings(
    text: str, rule: str, terms: Iterable[str], message: str, plurals: bool = False
) -> Iterator[Finding]:
    for term in terms:
        for m in _phrase_pattern(term, plurals).finditer(text):
            yield Finding(
                rule, message.format(match=m.group()), m.group(), m.start(), m.end()
            )


def _purdah_active(settings, today: date) -> bool:
    starts, ends = settings.purdah_starts, settings.purdah_ends
    if not starts and not ends:
        return False
    return (not starts or starts <= today) and (not ends or today <= ends)


def _purdah(text: str, settings, today: date) -> Iterator[Finding]:
    if not _purdah_active(settings, today):
        return
    until = (
        f" (until {settings.purdah_ends.day} {settings.purdah_ends:%B %Y})"
        if settings.purdah_ends
        else ""
    )
    yield from _phrase_findings(
        text,
        "purdah",
        phrases(settings.political_terms),
        '"{match}" is a political word and this is the pre-election period'
        f"{until}. A comms manager must approve posts like this.",
        plurals=True,
    )


# Media ------------------------------------------------------------------------------


def _alt_text(images: Iterable[Image]) -> Iterator[Finding]:
    for number, image in enumerate(images, start=1):
        if not (image.alt_text or "").strip():
            name = getattr(image.path, "name", "") or f"number {number}"
            yield Finding(
                "alt_text",
                f"The image {name} has no alt text. Describe it for people who "
                "cannot see it.",
            )


# Running the rules -----------------------------------------------------------------


def london_today() -> date:
    return timezone.now().astimezone(COUNCIL_TIMEZONE).date()


def check_text(
    text: str,
    settings,
    *,
    images: Iterable[Image] = (),
    today: date | None = None,
) -> list[Finding]:
    """Every finding for ``text`` and ``images`` under the council's ``settings``
    (a :class:`~publishing.models.ProtocolSettings`), in text order.

    ``today`` (the council's local date) decides whether the pre-election period
    is on; it defaults to today in Europe/London. Overlapping matches of one rule
    (TOP SECRET and SECRET) are reported once, as the longest.
    """
    today = today or london_today()
    found: list[Finding] = []
    if settings.check_email_addresses:
        found += _emails(text)
    if settings.check_phone_numbers:
        found += _phones(text)
    if settings.check_ni_numbers:
        found += _ni_numbers(text)
    if settings.check_nhs_numbers:
        found += _nhs_numbers(text)
    found += _phrase_findings(
        text,
        "protective_marking",
        phrases(settings.protective_markings),
        '"{match}" is a protective marking. Marked material must not be posted.',
    )
    found += _phrase_findings(
        text,
        "embargo",
        phrases(settings.embargo_words),
        '"{match}" suggests the content is under embargo. Check the embargo has '
        "lifted before it is posted.",
    )
    found += _phrase_findings(
        text,
        "blocklist",
        phrases(settings.blocklist),
        '"{match}" is on the council\'s list of words never to post.',
    )
    found += _purdah(text, settings, today)
    located = _longest_per_rule([f for f in found if f.start is not None])
    if settings.require_alt_text:
        located += _alt_text(images)
    return located


def _longest_per_rule(findings: list[Finding]) -> list[Finding]:
    findings.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[Finding] = []
    for finding in findings:
        if any(
            k.rule == finding.rule and k.start <= finding.start and finding.end <= k.end
            for k in kept
        ):
            continue
        kept.append(finding)
    return kept


def protocol_settings_for(page, site_id: int | None = None):
    """The protocol settings of the page's site (the defaults off any site)."""
    from .content import site_setting
    from .models import ProtocolSettings

    return site_setting(ProtocolSettings, page, site_id)


def check_post(post: Post, page, settings=None) -> list[dict]:
    """Findings for the post's text and media as JSON-safe dicts (stored on the
    row); empty when it may go straight out. ``settings`` defaults to the page's
    site's protocol settings."""
    settings = settings or protocol_settings_for(page)
    return [
        finding.as_dict()
        for finding in check_text(post.text, settings, images=post.images)
    ]
