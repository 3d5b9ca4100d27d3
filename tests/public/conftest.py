"""Fixtures for the public site: the pipeline's site, accounts and pages, the
feeds filled from the sandbox, and a fresh fragment cache for each test."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from publishing import content, feeds
from publishing.models import CrossPost
from tests.publishing.conftest import (  # noqa: F401  (fixtures)
    accounts,
    make_announcement,
    make_policy,
    publish,
    site,
)


@pytest.fixture(autouse=True)
def fresh_fragments():
    """Each test starts from a new cache generation (see council_site.core.cache)."""
    from council_site.core.cache import forget_fragments

    forget_fragments()
    yield
    forget_fragments()


@pytest.fixture
def filled_feeds(accounts):  # noqa: F811  (the imported fixture)
    """Every account's feed copied from the sandbox, as the periodic task does."""
    results = feeds.refresh_all()
    assert all(result.ok for result in results), results
    return results


def record_crosspost(page, account, remote_id, permalink):
    """Mark the page's row for ``account`` as posted, as the delivery task does
    (publishing creates the rows; nothing delivers them unless a committed
    publish reaches a running worker, which the browser fixture prevents)."""
    row, _ = CrossPost.objects.update_or_create(
        page=page,
        account=account,
        defaults={
            "platform": account.platform,
            "idempotency_key": f"{page.pk}:test:{account.pk}",
            "page_title": page.title,
            "text": page.title,
            "link": content.canonical_url(page),
            "marker": content.canonical_url(page),
            "content_hash": "recorded-by-test",
            "state": CrossPost.State.POSTED,
            "remote_id": remote_id,
            "permalink": permalink,
        },
    )
    return row


__all__ = ["cache", "record_crosspost"]


def page_html(client: Client, url: str) -> str:
    """The page at ``url``, which must answer 200."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()
