"""Every field a platform receives is checked, and a finding names its field."""

from __future__ import annotations

from pathlib import Path

from channels.values import Image, Post, Video
from publishing import guard
from publishing.models import ProtocolSettings


def findings(post):
    return [
        (f["field"], f["rule"], f["match"], f["start"])
        for f in guard.check_post(post, page=None, settings=ProtocolSettings())
    ]


def test_every_field_of_a_post_is_checked(tmp_path):
    captions = tmp_path / "captions.vtt"
    captions.write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nCall 020 7946 0018 now\n"
    )
    post = Post(
        text="YouTube description, EMBARGOED",
        link="https://example.test/?contact=jo.bloggs@example.org",
        marker="",
        title="TOP SECRET plans",
        images=(Image(Path("a.jpg"), "Card 4111 1111 1111 1111 on a desk"),),
        video=Video(
            path=Path("v.mp4"),
            title="OFFICIAL-SENSITIVE briefing",
            description="Not for publication before Monday",
            tags=("bins", "AB123456C"),
            captions_path=captions,
        ),
    )
    found = findings(post)
    assert ("text", "embargo", "EMBARGOED", 21) in found
    assert ("title", "protective_marking", "TOP SECRET", 0) in found
    assert ("link", "email_address", "jo.bloggs@example.org", 30) in found
    assert (
        "images[0].alt_text",
        "card_number",
        "4111 1111 1111 1111",
        5,
    ) in found
    assert ("video.title", "protective_marking", "OFFICIAL-SENSITIVE", 0) in found
    assert ("video.description", "embargo", "Not for publication", 0) in found
    assert ("video.tags[1]", "ni_number", "AB123456C", 0) in found
    assert ("video.captions", "phone_number", "020 7946 0018", 43) in found


def test_a_finding_outside_the_text_says_where_it_is():
    post = Post(text="Bins", link="", marker="", title="Marked SECRET")
    (finding,) = guard.check_post(post, page=None, settings=ProtocolSettings())
    assert finding["message"].startswith("In the title: ")


def test_a_description_that_is_the_text_is_reported_once():
    post = Post(
        text="EMBARGOED",
        link="",
        marker="",
        video=Video(path=Path("v.mp4"), title="Bins", description="EMBARGOED"),
    )
    assert [f[0] for f in findings(post)] == ["text"]


def test_a_link_the_text_carries_is_reported_once_in_the_text():
    link = "https://example.test/?contact=jo.bloggs@example.org"
    post = Post(text=f"Bins\n\n{link}", link=link, marker="")
    assert [(f[0], f[2]) for f in findings(post)] == [
        ("text", "jo.bloggs@example.org")
    ]


def test_a_link_sent_beside_the_text_is_read_as_well():
    link = "https://example.test/?contact=jo.bloggs@example.org"
    post = Post(text="Bins", link=link, marker="")
    assert [(f[0], f[2]) for f in findings(post)] == [
        ("link", "jo.bloggs@example.org")
    ]


def test_a_flood_of_one_finding_is_listed_up_to_the_cap():
    text = "SECRET " * 500
    found = guard.check_text(text, ProtocolSettings())
    assert len(found) == guard.MAX_FINDINGS_PER_RULE + 1
    assert found[-1].start is None and "more like this" in found[-1].message


def test_a_text_in_several_fields_is_read_once_and_worded_for_each():
    checker = guard.PostChecker(ProtocolSettings())
    reads = []
    marking = next(r for r in checker.rules if r.name == "protective_marking")

    def counted(views):
        reads.append(views.text)
        return marking.find(views)

    checker.rules = [guard.Rule(marking.name, counted, marking.message)]
    title = "Budget papers, TOP SECRET"

    found = checker.check([("title", title), ("video.title", title)])

    assert len(reads) == 1
    assert [(f.field, f.match, f.start) for f in found] == [
        ("title", "TOP SECRET", 15),
        ("video.title", "TOP SECRET", 15),
    ]
    assert found[0].message.startswith("In the title: ")
    assert found[1].message.startswith("In the video's title: ")
