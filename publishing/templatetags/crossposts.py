from django import template

from publishing.models import CrossPost
from publishing.views import wording

register = template.Library()


@register.simple_tag
def page_crossposts(page):
    """The page's live posts on each platform, for "Also on ..." links."""
    if page is None or not page.pk:
        return []
    posts = (
        CrossPost.objects.filter(page_id=page.pk, state=CrossPost.State.POSTED)
        .exclude(permalink="")
        .select_related("account")
        .defer("account__access_token", "account__refresh_token")
    )
    return [post for post in posts if post.link_to_post]


@register.filter
def allows(row, event: str) -> bool:
    """Whether the lifecycle takes ``event`` where ``row`` is (which action
    buttons a row shows)."""
    from publishing import lifecycle

    return lifecycle.allowed(row, event)


# Plain words for a row (publishing.views.wording), for the admin's templates.


@register.filter
def chip_tone(row) -> str:
    """The colour of a row's chip: failed, held, posted or waiting."""
    return wording.chip_tone(row)


@register.filter
def chip_state(row) -> str:
    return wording.chip_state(row)


@register.filter
def processing_note(row) -> str:
    return wording.processing_note(row)


@register.filter
def plain_error(row) -> str:
    return wording.error_in_plain_words(row)


@register.filter
def next_step(row, can_retry: bool = False) -> str:
    return wording.next_step(row, can_retry=bool(can_retry))


@register.filter
def engagement(row) -> str:
    return wording.engagement(row)


@register.filter
def clock(moment) -> str:
    return wording.clock(moment)
