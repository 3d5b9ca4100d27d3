"""Fragment caching for the public site, and when to forget it.

Rendered fragments (navigation, the home page's lists, social feeds, "Also on"
links) are cached with Django's ``{% cache %}`` tag and keyed by a *generation*
token. Anything that can change what a visitor sees — a page saved, published,
unpublished, deleted or made private, a cross-post recorded, a feed refreshed,
an account connected — replaces the token, so every fragment is rebuilt on its
next view. Publishing is rare next to page views, so forgetting everything is
cheap and never leaves a stale link behind.

The token lives in the shared cache (Redis in production), so a Celery worker
that records a cross-post invalidates what the web processes show. Keys carry a
namespace derived from the database, so two sites (or test runs) sharing one
cache never read each other's fragments.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.core.cache import cache

#: How long a fragment may live even if nothing invalidates it (seconds).
FRAGMENT_TTL = 600


def _namespace() -> str:
    database = settings.DATABASES["default"]
    identity = f"{database.get('HOST', '')}/{database['NAME']}"
    return hashlib.sha256(identity.encode()).hexdigest()[:12]


def _token_key() -> str:
    return f"public-site:{_namespace()}:generation"


def generation() -> str:
    """The current generation token; fragments keyed by it are still valid."""
    key = _token_key()
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        # add() keeps a token another process set a moment earlier.
        if not cache.add(key, token, timeout=None):
            token = cache.get(key) or token
    return token


def forget_fragments(*args, **kwargs) -> None:
    """Signal receiver: start a new generation, so all fragments are rebuilt."""
    cache.set(_token_key(), uuid.uuid4().hex, timeout=None)


def _watched() -> tuple[type, ...]:
    from wagtail.models import Page, PageViewRestriction

    from publishing.models import ChannelAccount, CrossPost, SocialFeed

    return (Page, PageViewRestriction, CrossPost, SocialFeed, ChannelAccount)


def content_changed(sender, instance, **kwargs) -> None:
    """post_save/post_delete receiver: pages, cross-posts, feeds and accounts are
    what the public fragments show, and a view restriction decides which pages
    the lists may show (it is saved without saving its page); other models
    leave them alone."""
    if isinstance(instance, _watched()):
        forget_fragments()
