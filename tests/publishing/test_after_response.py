"""An editor's publish sends its delivery messages once the response is ready,
not while the editor waits; everywhere else they go as the transaction commits."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from django.urls import reverse

from benchmarks.publish_overhead import editor_client, publish_form
from publishing import after_response, dispatch

from .conftest import rows_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def sent(monkeypatch):
    """Each batch handed to the broker: (when, row ids)."""
    batches = []

    def record(messages):
        batches.append((time.perf_counter(), [row_id for _t, row_id, _p in messages]))
        return len(messages)

    monkeypatch.setattr(dispatch, "send_to_broker", record)
    return batches


def test_an_editors_publish_sends_its_messages_after_the_response_is_ready(
    accounts, make_announcement, people, sent
):
    page = make_announcement(live=False)
    client = editor_client(people["superuser"])

    response = client.post(
        reverse("wagtailadmin_pages:edit", args=[page.pk]), publish_form(page)
    )

    assert response.status_code == 302
    rows = rows_for(page)
    assert len(rows) == 3
    # One batch with the page's three rows, once the response was ready for
    # the server to write, and before the request was over.
    [(sent_at, row_ids)] = sent
    assert sorted(row_ids) == sorted(row.pk for row in rows)
    assert sent_at > client.handler.ready_at


def test_a_publish_outside_a_request_sends_as_it_commits(
    accounts, make_announcement, sent
):
    page = make_announcement(live=False)
    revision = page.save_revision()

    with transaction.atomic():
        revision.publish()
        assert sent == []  # nothing before the commit

    [(_sent_at, row_ids)] = sent
    assert sorted(row_ids) == sorted(row.pk for row in rows_for(page))


def test_what_a_request_held_goes_once_it_finishes_or_the_next_one_starts(sent):
    first, second = [("task", 1, 5)], [("task", 2, 5), ("task", 3, 0)]

    after_response.hold_until_response()
    after_response.send_or_hold(lambda: dispatch.send_to_broker(first))
    assert sent == []
    # A request whose response was never closed on this thread: the next
    # admin change sends what it held before holding its own.
    after_response.hold_until_response()
    assert [ids for _at, ids in sent] == [[1]]
    after_response.send_or_hold(lambda: dispatch.send_to_broker(second))
    assert after_response.send_held() == 2
    assert [ids for _at, ids in sent] == [[1], [2, 3]]
    # Nothing held any more: the next message goes at once.
    assert after_response.send_held() == 0
    after_response.send_or_hold(lambda: dispatch.send_to_broker(first))
    assert [ids for _at, ids in sent] == [[1], [2, 3], [1]]
