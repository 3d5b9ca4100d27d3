"""An account's posts come newest first from its timeline, as a full sort would
give them, through additions, replacements, deletions, resets and reloads."""

from __future__ import annotations

import random

from sandbox.seed import FB_PAGE_COUNCIL, X_USER_ID, post_record
from sandbox.state import State


def _sorted_posts(state: State, platform: str, account: str,
                  include_deleted: bool = False) -> list[str]:
    """What the timeline stands for: every matching post, sorted in full."""
    posts = [
        post for post in state.posts(platform).values()
        if post["account_id"] == account and (include_deleted or not post["deleted"])
    ]
    posts.sort(key=lambda post: (post["created_ts"], post["id"]), reverse=True)
    return [post["id"] for post in posts]


def _ids(posts: list[dict]) -> list[str]:
    return [post["id"] for post in posts]


def test_posts_added_out_of_order_come_back_newest_first():
    state = State()
    before = _sorted_posts(state, "x", X_USER_ID)
    assert before, "the seed gives the account a history"
    shuffled = random.Random(7)
    for number in range(60):
        # Some older than the seed's posts, some sharing a timestamp.
        created = 1_600_000_000 + shuffled.randrange(0, 10**8, 10**6)
        state.add_post(post_record("x", f"9{number:04d}", X_USER_ID, created, "t"))
    state.add_post(post_record("x", "80000", "someone-else", 2_000_000_000, "t"))

    newest_first = _ids(state.account_posts("x", X_USER_ID))
    assert newest_first == _sorted_posts(state, "x", X_USER_ID)
    assert len(newest_first) == len(before) + 60
    assert "80000" not in newest_first


def test_deleted_posts_are_left_out_unless_asked_for_and_limit_takes_the_newest():
    state = State()
    for number in range(10):
        state.add_post(post_record("x", f"7{number}", X_USER_ID, 1_900_000_000 + number,
                                   "t"))
    state.posts("x")["79"]["deleted"] = True

    assert _ids(state.account_posts("x", X_USER_ID, limit=3)) == ["78", "77", "76"]
    assert _ids(state.account_posts("x", X_USER_ID, include_deleted=True, limit=2)) \
        == ["79", "78"]
    assert _ids(state.account_posts("x", X_USER_ID, include_deleted=True)) == \
        _sorted_posts(state, "x", X_USER_ID, include_deleted=True)


def test_a_post_stored_again_under_its_id_takes_its_new_place():
    state = State()
    state.add_post(post_record("facebook", "1_1", FB_PAGE_COUNCIL, 1_950_000_000, "a"))
    assert _ids(state.account_posts("facebook", FB_PAGE_COUNCIL))[0] == "1_1"
    state.add_post(post_record("facebook", "1_1", FB_PAGE_COUNCIL, 1_000_000_000, "b"))

    ids = _ids(state.account_posts("facebook", FB_PAGE_COUNCIL))
    assert ids.count("1_1") == 1
    assert ids == _sorted_posts(state, "facebook", FB_PAGE_COUNCIL)


def test_a_reset_or_a_reloaded_file_is_read_afresh(tmp_path):
    state = State()
    state.add_post(post_record("x", "91", X_USER_ID, 1_990_000_000, "t"))
    assert _ids(state.account_posts("x", X_USER_ID))[0] == "91"

    state.reset()
    after_reset = _ids(state.account_posts("x", X_USER_ID))
    assert "91" not in after_reset
    assert after_reset == _sorted_posts(state, "x", X_USER_ID)

    path = tmp_path / "state.json"
    saved = State(path)
    seeded = _ids(saved.account_posts("x", X_USER_ID))
    saved.add_post(post_record("x", "92", X_USER_ID, 1_990_000_000, "t"))
    saved.close()
    reloaded = State(path)
    assert _ids(reloaded.account_posts("x", X_USER_ID)) == ["92", *seeded]
    reloaded.close()
