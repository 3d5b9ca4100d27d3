"""The lifecycle table, proved exhaustively: its shape, every (place, event)
pair, and every place a row can reach, with the guards' facts varied.

No database: the table and its effects are worked out on unsaved rows."""

from __future__ import annotations

import itertools
from copy import copy
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from channels.values import PostResult
from publishing import lifecycle
from publishing.lifecycle import NEW, PLACES, RESTING_STATES, TABLE
from publishing.models import CrossPost

State = CrossPost.State
Operation = CrossPost.Operation
README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_line_names_real_states_events_effects_and_guards():
    for line in TABLE:
        assert (line.state, line.operation) in PLACES, line
        assert (line.to_state, line.to_operation) in PLACES, line
        assert line.event in lifecycle.EVENTS, line
        assert line.guard is None or line.guard in lifecycle.GUARDS, line
        assert set(line.effects) <= set(lifecycle.EFFECTS), line
        assert line.action is None or line.action in lifecycle.audit.ACTIONS, line


def test_each_place_and_event_is_decided_by_guards_in_order_then_one_fallback():
    """Lines for one (place, event) are tried in order: each guard at most
    once, and only the last line may have none, so the table is
    deterministic and no line is unreachable."""
    keys = {(line.state, line.operation, line.event) for line in TABLE}
    for key in keys:
        lines = lifecycle.transitions(*key)
        guards = [line.guard for line in lines]
        assert None not in guards[:-1], (key, guards)
        assert len(set(guards)) == len(guards), (key, guards)


@pytest.mark.parametrize("event", sorted(lifecycle.EVENTS))
def test_every_place_takes_the_event_or_says_why_not(event):
    for state, operation in sorted(PLACES):
        if lifecycle.transitions(state, operation, event):
            continue
        reason = lifecycle.refusal(state, operation, event)
        assert reason and "not an event" not in reason, (state, operation)


def test_every_event_moves_some_row():
    used = {line.event for line in TABLE}
    assert used == set(lifecycle.EVENTS)


def test_a_refused_event_raises_with_its_reason():
    row = CrossPost(pk=1, state=State.POSTED, operation=Operation.PUBLISH)
    with pytest.raises(lifecycle.NotAllowed, match="only a held post"):
        lifecycle.transition_for(row, "approved", {"now": timezone.now()})
    assert not lifecycle.allowed(row, "approved")
    assert lifecycle.allowed(row, "retract_requested")


# Every reachable place, with the facts its guards read -------------------------------

NOW = timezone.now()


def _row(state, operation, has_post, shows_page, started, under_way, sent_matches,
         processing=False):
    lease_owner = "worker-1" if started and under_way else ""
    return CrossPost(
        pk=None if state == NEW else 1,
        state=state,
        operation=operation,
        platform="facebook",
        remote_id="post-1" if has_post else "",
        content_hash="c1",
        posted_hash=("c1" if shows_page else "c0") if has_post else "",
        sent_hash="c1" if sent_matches else "c0",
        attempts=1 if started else 0,
        lease_owner=lease_owner,
        lease_expires_at=NOW + timedelta(hours=1) if lease_owner else None,
        media={},
        guard_findings=[],
        retracted_remote_ids=[],
        processing_since=NOW if processing else None,
        processing_check_at=NOW if processing else None,
    )


def _abstract(row: CrossPost) -> tuple:
    under_way = bool(row.lease_owner) and (
        row.lease_expires_at is not None and row.lease_expires_at > NOW
    )
    return (
        row.state if row.pk else NEW,
        row.operation,
        bool(row.remote_id),
        bool(row.remote_id) and row.posted_hash == row.content_hash,
        bool(row.attempts or row.lease_owner or row.last_error),
        under_way,
        row.sent_hash == row.content_hash,
        row.processing_since is not None,
    )


WORKER_EVENTS = {
    "posted", "found", "not_found", "taken_down", "retracted", "answer_lost",
    "rate_limited", "budget_spent", "refused", "auth_failed", "account_unusable",
    "gave_up", "unapproved",
}
FINDING = {"rule": "phone", "label": "A phone number"}


def _facts_for(event: str, row: CrossPost) -> list[dict]:
    """The variants of what can be said with ``event``."""
    base = {"now": NOW, "user": None, "reason": "checked", "message": "said so",
            "kind": "temporary", "retry_at": NOW, "owner": "worker-2"}
    if event in ("queued", "page_changed", "republished"):
        return [
            {**base, "content": {"content_hash": content_hash,
                                 "guard_findings": findings},
             "problems": problems, "findings": findings}
            for content_hash in ("c1", "c2")
            for findings in ([], [FINDING])
            for problems in ([], ["Too long for X."])
        ]
    if event in ("posted", "found"):
        # The platform may still be processing the post (a YouTube video).
        return [
            {**base, "result": PostResult("post-2", "https://p.example/2", state),
             "sent_hash": sent, "problems": [], "findings": findings}
            for sent in ("c1", "c0")
            for findings in ([], [FINDING])
            for state in ("posted", "processing")
        ]
    if event == "unapproved":
        # What the worker holds may or may not have findings (the page may
        # have changed back since it looked), and the platform may refuse it.
        return [
            {**base, "problems": problems, "findings": findings}
            for findings in ([], [FINDING])
            for problems in ([], ["Too long for X."])
        ]
    if event in ("taken_down", "retracted"):
        return [{**base, "remote_id": row.remote_id or "post-3", "problems": [],
                 "findings": []}]
    return [{**base, "problems": [], "findings": []}]


def _applies(event: str, abstract: tuple) -> bool:
    """Whether ``event`` can happen to a row so: a worker reports only on a
    row it holds, and claims only one nobody holds."""
    under_way = abstract[5]
    if event in WORKER_EVENTS:
        return under_way
    if event == "claimed":
        return not under_way
    return event == "queued" if abstract[0] == NEW else event != "queued"


def _explore() -> dict[tuple, set[tuple]]:
    """Every abstract row reachable from a new one, with its successors."""
    start = _abstract(_row(NEW, Operation.PUBLISH, False, False, False, False, False))
    graph: dict[tuple, set[tuple]] = {}
    todo = [start]
    while todo:
        abstract = todo.pop()
        if abstract in graph:
            continue
        graph[abstract] = set()
        for event in lifecycle.EVENTS:
            if not _applies(event, abstract):
                continue
            row = _row(*abstract)
            for facts in _facts_for(event, row):
                try:
                    plan = lifecycle._plan(copy(row), event, dict(facts))
                except lifecycle.NotAllowed:
                    continue
                after = copy(row)
                for name, value in plan.changes.items():
                    setattr(after, name, value)
                after.pk = 1
                successor = _abstract(after)
                graph[abstract].add(successor)
                todo.append(successor)
    return graph


GRAPH = _explore()


def test_the_exploration_reaches_every_place():
    reached = {(state, operation) for state, operation, *_ in GRAPH}
    assert reached == PLACES - lifecycle.EARLIER_PLACES


def test_a_row_an_earlier_version_left_in_a_place_no_line_leads_to_moves_on():
    """Rows written before a line changed keep somewhere to go: each such
    place still takes the page's next publish, and unpublishing."""
    for state, operation in lifecycle.EARLIER_PLACES:
        for event in ("page_changed", "unpublished"):
            assert lifecycle.transitions(state, operation, event), (state, event)


def test_a_row_with_a_post_is_never_queued_to_make_another():
    """Nothing twice: wherever a row holds a post, it is never due to publish
    (or to look for a post to adopt) as well."""
    making = {State.PENDING, State.SENDING, State.RETRYING, State.HELD,
              State.NEEDS_RECONNECT, State.FAILED, State.CANCELLED}
    wrong = [
        abstract
        for abstract in GRAPH
        if abstract[2]
        and abstract[1] in (Operation.PUBLISH, Operation.RECONCILE)
        and abstract[0] in making
    ]
    assert wrong == []


def test_every_reachable_row_can_come_to_rest():
    """Nothing stuck: from every place some sequence of events ends where the
    row rests (posted, taken down, cancelled, failed, held or parked)."""
    resting = {a for a in GRAPH if a[0] in RESTING_STATES and not a[5]}
    can_rest = set(resting)
    changed = True
    while changed:
        changed = False
        for abstract, successors in GRAPH.items():
            if abstract not in can_rest and successors & can_rest:
                can_rest.add(abstract)
                changed = True
    assert set(GRAPH) - can_rest == set()


def test_only_a_post_that_stands_is_followed_while_the_platform_processes_it():
    """Processing is followed for the post the row holds, never for one taken
    down, refused or never made."""
    wrong = [
        abstract
        for abstract in GRAPH
        if abstract[7] and (not abstract[2] or abstract[0] == State.RETRACTED)
    ]
    assert wrong == []


def _after(row: CrossPost, event: str, **facts) -> CrossPost:
    """``row`` as ``event`` leaves it (unsaved)."""
    facts = {"now": NOW, "user": None, "problems": [], "findings": [], **facts}
    plan = lifecycle._plan(copy(row), event, facts)
    after = copy(row)
    for name, value in plan.changes.items():
        setattr(after, name, value)
    return after


def test_a_video_refused_after_its_upload_fails_the_row_which_then_uploads_anew():
    """YouTube rejected the video while processing it: the row fails with the
    reason and holds no post (the video is not live, and is never adopted),
    so Retry or the page published again uploads it anew; unpublishing has
    nothing to take down."""
    posted = _row(State.POSTED, Operation.PUBLISH, True, True, True, False, True,
                  processing=True)
    reason = "YouTube rejected the video: a copyright claim (claim)."

    failed = _after(posted, "processing_failed", message=reason, kind="rejected")

    assert (failed.state, failed.operation) == (State.FAILED, Operation.PUBLISH)
    assert (failed.last_error, failed.last_error_kind) == (reason, "rejected")
    assert (failed.remote_id, failed.permalink) == ("", "")
    assert failed.retracted_remote_ids == ["post-1"]
    assert failed.processing_since is None and failed.processing_check_at is None
    failed.pk = 1
    again = _after(failed, "page_changed", content={"content_hash": "c1"})
    assert (again.state, again.operation) == (State.PENDING, Operation.PUBLISH)
    retried = _after(failed, "retry_requested")
    assert (retried.state, retried.operation) == (State.PENDING, Operation.PUBLISH)
    unpublished = _after(failed, "unpublished")
    assert unpublished.state == State.CANCELLED


def test_a_processing_outcome_applies_only_while_the_post_is_being_processed():
    processing = _row(State.POSTED, Operation.PUBLISH, True, True, True, False, True,
                      processing=True)
    processed = _after(processing, "processed")
    assert processed.state == State.POSTED and processed.processing_since is None

    for event in ("processed", "processing_failed", "processing_unconfirmed"):
        assert not lifecycle.allowed(processed, event, message="", kind="")


def test_an_update_of_a_video_being_processed_keeps_it_followed():
    """An update's answer does not say how processing goes: the post is still
    followed once the update lands."""
    updating = _row(State.UPDATING, Operation.UPDATE, True, False, True, True, True,
                    processing=True)
    result = PostResult("post-1", "https://p.example/1")

    updated = _after(updating, "posted", result=result, sent_hash="c1")

    assert (updated.state, updated.processing_since) == (State.POSTED, NOW)


def test_a_post_found_or_landed_is_kept_in_the_row():
    """Nothing lost: a worker's report of a post always records it."""
    for line in TABLE:
        if line.event in ("posted", "found"):
            assert "record_post" in line.effects, line


# The README's diagram -------------------------------------------------------------


def test_the_readme_diagram_is_the_table():
    text = README.read_text()
    start = text.index("```mermaid\n") + len("```mermaid\n")
    end = text.index("```", start)
    assert text[start:end] == lifecycle.mermaid(), (
        "The README's lifecycle diagram is out of date: run "
        "`manage.py lifecycle_diagram --write`."
    )


def test_the_diagram_shows_every_place_and_event():
    diagram = lifecycle.mermaid()
    for state, operation in PLACES:
        assert f"{state}_{operation}" in diagram
    for event in lifecycle.EVENTS:
        assert event in diagram
    assert list(itertools.islice(diagram.splitlines(), 1)) == ["stateDiagram-v2"]
