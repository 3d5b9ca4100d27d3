from django import template

from publishing.models import CrossPost

register = template.Library()


@register.simple_tag
def page_crossposts(page):
    """The page's live posts on each platform, for "Also on ..." links."""
    if page is None or not page.pk:
        return []
    return list(
        CrossPost.objects.filter(page_id=page.pk, state=CrossPost.State.POSTED)
        .exclude(permalink="")
        .select_related("account")
    )
