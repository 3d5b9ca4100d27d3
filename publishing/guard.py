"""The council's online protocol guidelines, made enforceable.

:func:`check_post` runs every rule of a :class:`~publishing.models.ProtocolSettings`
over every field a platform receives from a post: its text, title, link, each
image's alt text, and a video's title, description, tags and captions. The
outbox and the editor's live preview both call it, so what an editor is warned
about is exactly what holds a post. A finding holds the row for a comms
manager's approval; :func:`approval_refusal` says who may not give it.

Each field is folded first (:mod:`publishing.normalise`: NFKC, invisible
characters, look-alike letters), so ``ОFFICIAL`` with a Cyrillic O or a phone
number in full-width digits is found, and each finding points at the
characters as written. Each rule's pattern is written out in full in
:mod:`publishing.personal_data` and :func:`phrase_pattern`; the finders the
rules run (:mod:`publishing.finders`, :func:`~publishing.phrases.phrase_finder`)
find exactly the same, reading views of the folded text
(:mod:`publishing.text_views`) in which a pattern starts with a literal, so a
megabyte of adversarial text is checked in tens of milliseconds. Checking is
linear in the length of the text, and at most :data:`MAX_FINDINGS_PER_RULE`
findings per rule and field are listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date
from functools import lru_cache
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.utils import timezone

from channels.values import Image, Post

from . import finders, personal_data
from .finders import Finder
from .normalise import normalise
from .phrases import (
    phrase_finder,
    phrase_pattern,  # noqa: F401 (guard.phrase_pattern, as before)
)
from .text_views import TextViews

COUNCIL_TIMEZONE = ZoneInfo("Europe/London")
PERSONAL_DATA = "Personal data must not be posted."
ALLOW_LIST_HINT = (
    "If it is the council's own published {kind}, add it to the allowed contacts "
    "in the online protocol settings; otherwise a comms manager can approve the "
    "post."
)
#: Findings listed for one rule in one field; one more then says there are more.
#: A person reads the first few, and a held row stores them all.
MAX_FINDINGS_PER_RULE = 20


@dataclass(frozen=True)
class Finding:
    """One broken rule. ``field`` names the part of the post it is in
    (:func:`post_fields`); ``start``/``end`` index the offending characters in
    that field's original text (Python string indices, so code points). They
    are ``None`` for a finding about a whole field (missing alt text)."""

    rule: str
    message: str
    match: str = ""
    start: int | None = None
    end: int | None = None
    field: str = "text"

    def as_dict(self) -> dict:
        return asdict(self)


# The fields of a post ---------------------------------------------------------------


def post_fields(post: Post) -> list[tuple[str, str]]:
    """``(field, text)`` for every piece of text a platform receives from
    ``post``, captions included (read from their file). A link the text
    carries whole is read there, as a description that is the text is: it is
    the same characters, and each finding is told once."""
    fields = [("text", post.text), ("title", post.title)]
    if post.link not in post.text:
        fields.append(("link", post.link))
    fields += image_fields(post.images)
    video = post.video
    if video:
        fields.append(("video.title", video.title))
        if video.description != post.text:  # YouTube's text is the description
            fields.append(("video.description", video.description))
        fields += [(f"video.tags[{n}]", tag) for n, tag in enumerate(video.tags)]
        if video.captions_path:
            fields.append(("video.captions", _read_captions(video.captions_path)))
    return [(name, text) for name, text in fields if text]


def image_fields(images: Iterable[Image]) -> list[tuple[str, str]]:
    return [(f"images[{n}].alt_text", i.alt_text) for n, i in enumerate(images)]


def _read_captions(path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""  # the upload reports a missing file, naming it


def field_label(field: str) -> str:
    """How a field is named to people: "the alt text of image 2"."""
    name, _, index = field.partition("[")
    number = int(index.split("]")[0]) + 1 if index else 0
    if field.startswith("images["):
        return f"the alt text of image {number}"
    if name == "video.tags":
        return f"video tag {number}"
    return {
        "text": "the text",
        "title": "the title",
        "link": "the link",
        "video.title": "the video's title",
        "video.description": "the video's description",
        "video.captions": "the video's captions",
    }.get(field, field)


# Words and phrases -----------------------------------------------------------------


def phrases(value: str) -> list[str]:
    """The non-blank lines of a settings text field."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _phrase_finder(value: str, plurals: bool = False) -> Finder | None:
    return phrase_finder(tuple(phrases(value)), plurals)


# The rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A rule as the runner sees it: what finds it (spans of the folded text,
    read through its :class:`~publishing.text_views.TextViews`) and what the person
    is told (``{match}`` is the text as written)."""

    name: str
    find: Finder
    message: str
    allowed: Callable[[str], bool] | None = None
    #: A text with fewer digits than this holds no match of the rule.
    min_digits: int = 0


def _personal(kind: str) -> str:
    return f"This looks like {kind}: {{match}}. {PERSONAL_DATA}"


@lru_cache(maxsize=64)
def _allow_list(phones_value: str, emails_value: str):
    phones = {personal_data.phone_key(normalise(p).text) for p in phrases(phones_value)}
    addresses, domains = set(), set()
    for line in phrases(emails_value):
        key = personal_data.email_key(normalise(line).text)
        if "@" in key.strip("@"):
            addresses.add(key)
        else:
            domains.add(key.strip("@"))

    def phone_allowed(match: str) -> bool:
        return personal_data.phone_key(match) in phones

    def email_allowed(match: str) -> bool:
        key = personal_data.email_key(match)
        return key in addresses or key.rpartition("@")[2] in domains

    return phone_allowed, email_allowed


def _purdah_active(settings, today: date) -> bool:
    starts, ends = settings.purdah_starts, settings.purdah_ends
    if not starts and not ends:
        return False
    return (not starts or starts <= today) and (not ends or today <= ends)


def rules_for(settings, today: date) -> tuple[Rule, ...]:
    """The text rules ``settings`` switch on, on the council's date ``today``.

    Made once for each set of values of the settings' fields and day: every
    publish and every keystroke's check asks for the same rules."""
    values = tuple(
        (field.attname, getattr(settings, field.attname))
        for field in settings._meta.concrete_fields
    )
    return _rules(values, today)


@lru_cache(maxsize=32)
def _rules(values: tuple, today: date) -> tuple[Rule, ...]:
    settings = SimpleNamespace(**dict(values))
    phone_allowed, email_allowed = _allow_list(
        settings.allowed_phone_numbers, settings.allowed_email_addresses
    )
    personal = [
        (
            settings.check_email_addresses,
            Rule(
                "email_address",
                finders.emails,
                _personal("an email address")
                + " "
                + ALLOW_LIST_HINT.format(kind="address"),
                email_allowed,
            ),
        ),
        (
            settings.check_phone_numbers,
            Rule(
                "phone_number",
                finders.phones,
                _personal("a UK phone number")
                + " "
                + ALLOW_LIST_HINT.format(kind="number"),
                phone_allowed,
            ),
        ),
        (
            settings.check_ni_numbers,
            Rule(
                "ni_number",
                finders.ni_numbers,
                _personal("a National Insurance number"),
            ),
        ),
        (
            settings.check_nhs_numbers,
            Rule("nhs_number", finders.nhs_numbers, _personal("an NHS number")),
        ),
        (
            settings.check_card_numbers,
            Rule(
                "card_number",
                finders.card_numbers,
                _personal("a payment card number"),
            ),
        ),
        (
            settings.check_bank_details,
            Rule(
                "bank_details",
                finders.bank_details,
                _personal("a bank sort code and account number"),
            ),
        ),
        (
            settings.check_home_addresses,
            Rule(
                "home_address",
                finders.home_addresses,
                _personal("a home address (a house number with a postcode)"),
            ),
        ),
        (
            settings.check_dates_of_birth,
            Rule(
                "date_of_birth",
                finders.dates_of_birth,
                _personal("a date of birth"),
            ),
        ),
    ]
    rules = [
        replace(rule, min_digits=personal_data.MIN_DIGITS.get(rule.name, 0))
        for switched_on, rule in personal
        if switched_on
    ]
    worded = [
        (
            "protective_marking",
            _phrase_finder(settings.protective_markings),
            '"{match}" is a protective marking. Marked material must not be posted.',
        ),
        (
            "embargo",
            _phrase_finder(settings.embargo_words),
            '"{match}" suggests the content is under embargo. Check the embargo '
            "has lifted before it is posted.",
        ),
        (
            "blocklist",
            _phrase_finder(settings.blocklist),
            '"{match}" is on the council\'s list of words never to post.',
        ),
    ]
    if _purdah_active(settings, today):
        until = (
            f" (until {settings.purdah_ends.day} {settings.purdah_ends:%B %Y})"
            if settings.purdah_ends
            else ""
        )
        worded.append(
            (
                "purdah",
                _phrase_finder(settings.political_terms, plurals=True),
                '"{match}" is a political word and this is the pre-election '
                f"period{until}. A comms manager must approve posts like this.",
            )
        )
    rules += [Rule(name, find, message) for name, find, message in worded if find]
    return tuple(rules)


# Running the rules -----------------------------------------------------------------


def london_today() -> date:
    return timezone.now().astimezone(COUNCIL_TIMEZONE).date()


_WITHOUT_DIGITS = str.maketrans("", "", "0123456789")


def _matches(text: str, rules: Iterable[Rule]) -> list[tuple]:
    """``(rule, start, end)`` for each match in ``text`` that a rule does not
    allow, indexing ``text`` as written; ``(rule, None, None)`` once a rule
    has :data:`MAX_FINDINGS_PER_RULE` listed and there are more. The same
    whatever field the text is in."""
    folded = normalise(text)
    views = TextViews(folded.text)
    digits = len(folded.text) - len(folded.text.translate(_WITHOUT_DIGITS))
    found = []
    for rule in rules:
        if rule.min_digits > digits:
            continue
        listed = 0
        for start, end in rule.find(views):
            if rule.allowed and rule.allowed(folded.text[start:end]):
                continue
            if listed == MAX_FINDINGS_PER_RULE:
                found.append((rule, None, None))
                break
            found.append((rule, *folded.original_span(start, end)))
            listed += 1
    return found


def _findings(field: str, text: str, matches: list[tuple]) -> list[Finding]:
    """The findings of ``matches`` (:func:`_matches`) in ``field``, worded for
    it and in text order."""
    where = "" if field == "text" else f"In {field_label(field)}: "
    found = []
    for rule, start, end in matches:
        if start is None:
            found.append(
                Finding(
                    rule.name,
                    f"{field_label(field).capitalize()} has more like this; "
                    f"only the first {MAX_FINDINGS_PER_RULE} are listed.",
                    field=field,
                )
            )
            continue
        match = text[start:end]
        message = where + rule.message.format(match=match)
        found.append(Finding(rule.name, message, match, start, end, field))
    found.sort(key=lambda f: (f.start is None, f.start or 0, -(f.end or 0)))
    return found


def _missing_alt_text(images: Iterable[Image]) -> Iterator[Finding]:
    for number, image in enumerate(images, start=1):
        if not (image.alt_text or "").strip():
            name = getattr(image.path, "name", "") or f"number {number}"
            yield Finding(
                "alt_text",
                f"The image {name} has no alt text. Describe it for people who "
                "cannot see it.",
                field=f"images[{number - 1}].alt_text",
            )


class PostChecker:
    """The guard under one set of ``settings`` (a
    :class:`~publishing.models.ProtocolSettings`) for one day: the rules are
    built once, and a text that several posts of a page share (the title,
    the image's alt text, a video title that is the page's) is read once,
    whichever fields it is in."""

    def __init__(self, settings, today: date | None = None):
        self.settings = settings
        self.rules = rules_for(settings, today or london_today())
        self._matches: dict[str, list[tuple]] = {}
        self._found: dict[tuple[str, str], list[Finding]] = {}

    def check(
        self, fields: Iterable[tuple[str, str]], images: Iterable[Image] = ()
    ) -> list[Finding]:
        """Every finding in ``fields`` (``(field, text)`` pairs) and about
        ``images``: field by field, each in text order."""
        found = []
        for field, text in fields:
            key = (field, text)
            if key not in self._found:
                if text not in self._matches:
                    self._matches[text] = _matches(text, self.rules)
                self._found[key] = _findings(field, text, self._matches[text])
            found += self._found[key]
        if self.settings.require_alt_text:
            found += _missing_alt_text(images)
        return found

    def __call__(self, post: Post) -> list[dict]:
        """:func:`check_post`'s answer for ``post``."""
        return [
            finding.as_dict() for finding in self.check(post_fields(post), post.images)
        ]


def check_fields(
    fields: Iterable[tuple[str, str]],
    settings,
    *,
    images: Iterable[Image] = (),
    today: date | None = None,
) -> list[Finding]:
    """Every finding in ``fields`` (``(field, text)`` pairs) and about
    ``images`` under the council's ``settings`` (a
    :class:`~publishing.models.ProtocolSettings`): field by field, each in text
    order.

    ``today`` (the council's local date) decides whether the pre-election period
    is on; it defaults to today in Europe/London. Overlapping matches of one rule
    (TOP SECRET and SECRET) are reported once, as the longest.
    """
    return PostChecker(settings, today).check(fields, images)


def check_text(
    text: str,
    settings,
    *,
    images: Iterable[Image] = (),
    today: date | None = None,
) -> list[Finding]:
    """:func:`check_fields` for one post text and its images."""
    images = tuple(images)
    fields = [("text", text), *image_fields(images)]
    return check_fields(fields, settings, images=images, today=today)


def protocol_settings_for(page, site_id: int | None = None):
    """The protocol settings of the page's site (the defaults off any site)."""
    from .content import site_setting
    from .models import ProtocolSettings

    return site_setting(ProtocolSettings, page, site_id)


def check_post(
    post: Post, page, settings=None, today: date | None = None
) -> list[dict]:
    """Findings for every field of ``post`` (:func:`post_fields`) as JSON-safe
    dicts (stored on the row); empty when it may go straight out. ``settings``
    defaults to the page's site's protocol settings. A pure function of the
    post, the settings and the day: it writes nothing."""
    return PostChecker(settings or protocol_settings_for(page), today)(post)


# Approving a held post -------------------------------------------------------------


def approval_refusal(row, user, protocol) -> str | None:
    """Why ``user`` may not approve held ``row`` under the ``protocol``
    settings, worded for the screen; ``None`` when they may.

    With the four-eyes rule on (``publisher_cannot_approve``), the person who
    published the page cannot approve its post, superusers included: they are
    told why, and that the rule is a setting.
    """
    if not protocol.publisher_cannot_approve:
        return None
    if row.published_by_id is None or row.published_by_id != user.pk:
        return None
    reason = (
        "You published this page, so another comms manager must approve its "
        "post: the council's online protocol asks for a second pair of eyes."
    )
    if user.is_superuser:
        reason += (
            " This applies to administrators too; the rule can be switched off "
            "in the online protocol settings."
        )
    return reason
