"""Template tags of the public site: cached-fragment keys, social links, feeds,
the urgent banner and the click-to-play video."""

from __future__ import annotations

from datetime import datetime

from django import template

from channels import registry
from council_site.core import cache, feed_display, social
from council_site.core.pages import public_pages_q
from publishing.links import allowed_url
from publishing.models import ChannelAccount, SocialFeed

register = template.Library()
#: Urgent notices the banner names at most; any more are first in the news.
URGENT_SHOWN = 3


@register.simple_tag
def cache_generation() -> str:
    """The token that public fragments are cached under (see core.cache)."""
    return cache.generation()


@register.simple_tag
def social_profiles() -> list[dict]:
    """The council's connected accounts with links to their public pages."""
    return [
        {
            "platform": registry.display_name(account.platform),
            "name": account.display_name,
            "url": social.profile_url(account),
        }
        for account in ChannelAccount.objects.filter(
            status=ChannelAccount.Status.CONNECTED
        )
        .exclude(usage=ChannelAccount.Usage.RETIRED)
        .defer("access_token", "refresh_token")
    ]


@register.inclusion_tag("includes/social_feeds.html")
def social_feeds(account_ids=None, limit=5, heading_level=2):
    """The stored feeds of the given accounts (all connected ones when empty)."""
    # Tokens are neither needed nor decrypted for a public page.
    feeds = (
        SocialFeed.objects.select_related("account")
        .defer("account__access_token", "account__refresh_token")
        .filter(account__status=ChannelAccount.Status.CONNECTED)
        .exclude(account__usage=ChannelAccount.Usage.RETIRED)
    )
    if account_ids:
        feeds = feeds.filter(account_id__in=[int(pk) for pk in account_ids])
    limit = max(1, int(limit or 5))
    return {
        "feeds": [_feed_context(feed, limit) for feed in feeds],
        "heading_tag": f"h{min(max(int(heading_level), 2), 5)}",
        "item_heading_tag": f"h{min(max(int(heading_level), 2), 5) + 1}",
    }


def _feed_context(feed: SocialFeed, limit: int) -> dict:
    account = feed.account
    items = []
    for item in feed.items[:limit]:
        try:
            created = datetime.fromisoformat(item.get("created_at", ""))
        except ValueError:
            created = None
        # Checked again on the way out: items stored before links were
        # checked on the way in may still hold any URL.
        permalink = allowed_url(account.platform, item.get("permalink", ""))
        items.append(
            {
                **item,
                "created_at": created,
                "permalink": permalink,
                "readable": feed_display.readable(item.get("text", "")),
                "media": [
                    {**media, "alt": media.get("alt") or _fallback_alt(media, account)}
                    for media in item.get("media", [])
                ],
            }
        )
    return {
        "platform": registry.display_name(account.platform),
        "platform_id": account.platform,
        "name": account.display_name,
        "profile_url": social.profile_url(account),
        "items": items,
        "fetched_at": feed.fetched_at,
        # Why the last refresh failed, in the platform's or our words.
        "stale": feed.last_error,
    }


def _fallback_alt(media: dict, account: ChannelAccount) -> str:
    """What a picture the platform gave no description of shows: who posted it."""
    kind = "Video" if media.get("kind") == "video" else "Picture"
    return f"{kind} posted by {account.display_name}"


@register.inclusion_tag("includes/urgent_banner.html")
def urgent_banner(page=None):
    """The live, public urgent notices, newest first, for the banner at the top
    of every page but the notice's own."""
    from council_site.news.models import AnnouncementPage

    notices = (
        AnnouncementPage.objects.live()
        .filter(public_pages_q(), urgent=True)
        .order_by("-first_published_at")
    )
    if isinstance(page, AnnouncementPage):
        notices = notices.exclude(pk=page.pk)
    return {"notices": list(notices[:URGENT_SHOWN])}


@register.simple_tag
def youtube_video(crossposts) -> dict | None:
    """Player details for the page's posted YouTube video, if it has one."""
    for post in crossposts:
        if post.platform == "youtube" and post.remote_id:
            player = social.youtube_player_url(post.remote_id)
            if player:
                watch = f"{social.web_url('youtube')}/watch?v={post.remote_id}"
                return {"player_url": player, "watch_url": watch}
    return None


@register.simple_tag
def breadcrumb_trail(page) -> list:
    """The pages above ``page`` between the home page and it.

    A page in a top-level section (every page type of this site) has only its
    parent there, which routing already loaded (see core.pages), so this costs
    no query for a page being served; anything deeper asks the page tree.
    """
    section_depth = 3
    if page.depth <= section_depth:
        return []
    if page.depth == section_depth + 1:
        return [page.get_parent()]
    return list(page.get_ancestors().filter(depth__gt=2))
