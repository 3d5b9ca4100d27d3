from django import template

from publishing.models import CrossPost

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
