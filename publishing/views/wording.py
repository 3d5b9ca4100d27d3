"""Plain words for states and errors, shared by the dashboard, panel and exports."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import ngettext

from ..models import CrossPost
from ..processing import thing

State = CrossPost.State

#: States in which a worker still has something to do; the dashboard refreshes
#: itself while any row is in one of them.
IN_FLIGHT = (
    State.PENDING,
    State.SENDING,
    State.UPDATING,
    State.RETRACTING,
    State.RETRYING,
)

ERROR_KINDS = {
    "temporary": "The platform did not answer",
    "rate_limited": "Waiting for the platform's limit to reset",
    "auth": "The account needs reconnecting",
    "rejected": "The platform refused the post",
}


def number_of(count: int, singular: str, plural: str = "") -> str:
    """``count`` with its noun in the number it takes: "1 post", "2 posts"."""
    return f"{count} {ngettext(singular, plural or f'{singular}s', count)}"


def error_in_plain_words(row: CrossPost) -> str:
    """What went wrong, led by what kind of problem it is."""
    if not row.last_error:
        return ""
    lead = ERROR_KINDS.get(row.last_error_kind)
    if lead and not row.last_error.startswith(lead):
        return f"{lead}: {row.last_error}"
    return row.last_error


#: The colour a state's chip takes on the dashboard and the calendar (static
#: CSS classes ``social-chip--<tone>``): red failed, amber waiting for a
#: person, green posted, grey on its way or done with.
TONES = {
    State.FAILED: "failed",
    State.HELD: "held",
    State.NEEDS_RECONNECT: "held",
    State.POSTED: "posted",
}


def tone(state: str) -> str:
    return TONES.get(state, "waiting")


def chip_tone(row: CrossPost) -> str:
    """A row's chip colour: its state's, but grey (on its way) while the
    platform is processing the post."""
    return "waiting" if row.is_processing else tone(row.state)


def chip_state(row: CrossPost) -> str:
    """A row's state on its chip: "Processing" while the platform processes
    the post, else the state's name."""
    return "Processing" if row.is_processing else row.get_state_display()


def processing_note(row: CrossPost) -> str:
    """While the platform is processing the post: what that means and when it
    is next asked ("" otherwise)."""
    if not row.is_processing:
        return ""
    name = row.get_platform_display()
    due = row.processing_check_at
    when = f"at {clock(due)}" if due and due > timezone.now() else "within a minute"
    return (
        f"{name} is processing the {thing(row)}. It is asked again {when}; if "
        f"{name} rejects it, it fails here with {name}'s reason."
    )


def clock(moment: datetime | None, now: datetime | None = None) -> str:
    """A moment in the council's time zone, as people say it: "10:42" today,
    "4 Dec 2026, 10:42" on another day."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    today = timezone.localtime(now).date() if now else timezone.localdate()
    if local.date() == today:
        return format_date(local, "H:i")
    return format_date(local, "j M Y, H:i")


def iso_seconds(moment: datetime | None) -> str:
    """A moment for exports: ISO 8601 to the second, in the council's time zone
    (``2026-12-04T13:50:36+00:00``)."""
    if moment is None:
        return ""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def next_step(row: CrossPost, can_retry: bool = False) -> str:
    """What happens next to a post that has not gone out as it should, and who
    must act; "" for a row that needs no one."""
    if row.state == State.RETRYING:
        when = clock(row.next_attempt_at)
        if when:
            return f"It is tried again automatically at {when}."
        return "It is tried again automatically."
    if row.state == State.NEEDS_RECONNECT:
        return (
            "It waits for a comms manager to reconnect the account, then goes "
            "out by itself."
        )
    if row.state == State.HELD:
        return "It waits for a comms manager to approve or reject it."
    if row.state == State.FAILED:
        if can_retry:
            return "It is not tried again by itself: retry it once the cause is fixed."
        return "It is not tried again by itself: ask comms to retry it."
    return ""


def engagement(row: CrossPost) -> str:
    """The figures the platform gave for the post ("" where it gave none or
    they have not been fetched)."""
    if row.metrics_updated_at is None:
        return ""
    parts = [
        f"{value} {name}"
        for name, value in (
            ("likes", row.likes),
            ("shares", row.shares),
            ("comments", row.comments),
            ("views", row.views),
        )
        if value is not None
    ]
    return ", ".join(parts)


def media_in_plain_words(media: dict) -> str:
    """The images (with alt text) and video a post carried."""
    parts = [
        f"image {item['path'].rsplit('/', 1)[-1]} (alt: {item.get('alt_text', '')})"
        for item in media.get("images", [])
    ]
    video = media.get("video")
    if video:
        parts.append(f"video {video['path'].rsplit('/', 1)[-1]} ({video['title']})")
    return "; ".join(parts)


#: What each OAuth scope lets the council do, per platform, in the words the
#: consent pages use. A scope missing here is shown by its last part.
SCOPE_WORDS = {
    "facebook": {
        "pages_show_list": "list the Pages",
        "pages_manage_posts": "publish to the Page",
        "pages_read_engagement": "read posts and reactions",
        "pages_manage_engagement": "manage comments",
        "pages_read_user_content": "read visitors' posts",
        "publish_video": "publish videos",
    },
    "x": {
        "tweet.read": "read posts",
        "tweet.write": "publish posts",
        "users.read": "read the profile",
        "offline.access": "stay connected",
        "media.write": "upload images",
    },
    "youtube": {
        "https://www.googleapis.com/auth/youtube.upload": "upload videos",
        "https://www.googleapis.com/auth/youtube.force-ssl": (
            "manage videos and captions"
        ),
        "https://www.googleapis.com/auth/youtube": "manage the channel",
        "https://www.googleapis.com/auth/youtube.readonly": "read the channel",
    },
    "mastodon": {
        "read": "read the account and its posts",
        "write": "publish posts and media",
        "profile": "read the profile",
        "read:accounts": "read the profile",
        "read:statuses": "read posts",
        "write:statuses": "publish posts",
        "write:media": "upload images",
    },
    # An app password grants what the account may do, minus its settings.
    "bluesky": {"com.atproto.appPass": "publish with an app password"},
}


def scopes_in_plain_words(platform: str, scopes: list[str]) -> str:
    """What an account's token allows, as words: known scopes by what they do,
    others by their last part (``.../auth/yt-analytics.readonly`` becomes
    ``yt-analytics.readonly``), never a raw URL."""
    words = SCOPE_WORDS.get(platform, {})
    shown = [
        words.get(scope) or scope.rstrip("/").rsplit("/", 1)[-1] for scope in scopes
    ]
    return ", ".join(dict.fromkeys(shown))
