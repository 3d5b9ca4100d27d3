"""Message composition: templates, UTM links and hashtags."""

from __future__ import annotations

from channels.compose import DEFAULT_TEMPLATE, compose, hashtag, with_utm
from tests.x_text import LINK


def test_compose_fills_the_template_and_drops_empty_parts():
    text = compose(
        DEFAULT_TEMPLATE,
        title="Garden waste restarts",
        summary="",
        link=LINK,
        hashtags=["Waste & Recycling"],
    )
    assert text == f"Garden waste restarts\n\n{LINK} #WasteAndRecycling"


def test_compose_override_wins_but_keeps_the_link():
    text = compose(
        DEFAULT_TEMPLATE, title="T", summary="S", link=LINK, override="Bins are back!"
    )
    assert text == f"Bins are back!\n\n{LINK}"
    already = compose("{title}", title="T", summary="", link=LINK, override=LINK)
    assert already == LINK


def test_compose_leaves_unknown_placeholders_alone():
    text = compose("{title} {title.__class__} {link}", title="T", summary="", link=LINK)
    assert text == f"T {{title.__class__}} {LINK}"


def test_compose_appends_the_link_when_the_template_lacks_it():
    assert compose("{title}", title="T", summary="", link=LINK) == f"T\n\n{LINK}"


def test_hashtag_from_department_names():
    assert hashtag("Waste & Recycling") == "#WasteAndRecycling"
    assert hashtag("adult social care") == "#AdultSocialCare"
    assert hashtag("NHS 111") == "#NHS111"
    assert hashtag("2024") == ""


def test_with_utm_adds_and_replaces_tracking_parameters():
    link = with_utm(f"{LINK}?page=2&utm_source=old", source="x", campaign="bins")
    assert link == f"{LINK}?page=2&utm_source=x&utm_medium=social&utm_campaign=bins"
