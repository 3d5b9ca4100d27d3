from django import template

from publishing.models import CrossPost
from publishing.views import wording

register = template.Library()


@register.simple_tag
def page_crossposts(page):
    """The page's live posts on each platform, for "Also on ..." links, in
    the order every screen lists channels (Bluesky, Facebook, ... YouTube),
    not newest first."""
    if page is None or not page.pk:
        return []
    posts = (
        CrossPost.objects.filter(page_id=page.pk, state=CrossPost.State.POSTED)
        .exclude(permalink="")
        .select_related("account")
        .defer("account__access_token", "account__refresh_token")
        .order_by("platform", "account__display_name")
    )
    return [post for post in posts if post.link_to_post]


@register.filter
def allows(row, event: str) -> bool:
    """Whether the lifecycle takes ``event`` where ``row`` is (which action
    buttons a row shows)."""
    from publishing import lifecycle

    return lifecycle.allowed(row, event)


@register.filter
def approval_refusal(row, user) -> str:
    """Why ``user`` may not approve held ``row`` (the four-eyes rule), shown
    beside a disabled Approve rather than after they try; empty if they may."""
    from publishing import actions

    if user is None or row.published_by_id != user.pk:
        return ""  # only the publisher can be refused: no settings read per row
    return actions.approval_refusal(row, user) or ""


# Plain words for a row (publishing.views.wording), for the admin's templates:
# each filter is a wording function as it is, by the name templates use.
for _name, _words in {
    "chip_tone": wording.chip_tone,  # the chip's colour: failed, held, posted...
    "chip_state": wording.chip_state,
    "processing_note": wording.processing_note,
    "plain_error": wording.error_in_plain_words,
    "engagement": wording.engagement,
    "clock": wording.clock,
}.items():
    register.filter(_name, _words)


@register.filter
def next_step(row, can_retry: bool = False) -> str:
    return wording.next_step(row, can_retry=bool(can_retry))


@register.simple_tag
def unpublishing_note(page) -> str:
    """:func:`publishing.views.status.taking_down_note`, for the page that
    asks to confirm an unpublish."""
    from publishing.views.status import taking_down_note

    return taking_down_note(page)


@register.simple_tag
def unpublishing_notes(items, deleting: bool = False) -> list[tuple]:
    """``(page, sentence)`` for each page of a bulk unpublish (or, with
    ``deleting``, delete) whose posts it takes down or cancels: Wagtail's
    confirmation lists ``items``, each ``{"item": page, ...}``."""
    from publishing.views.status import taking_down_note

    found = []
    for entry in items:
        page = entry["item"]
        note = taking_down_note(page, deleting=bool(deleting))
        if note:
            found.append((page, note))
    return found
