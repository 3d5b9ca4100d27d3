"""The protocol guard: each rule against examples that must and must not hold a
post, then a held post end to end through approval and rejection."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from wagtail.models import PageLogEntry

from channels.values import Image
from publishing import actions, content, delivery, guard
from publishing.models import CrossPost, ProtocolSettings
from tests.publishing.conftest import live_posts_with_marker, publish, rows_for
from tests.worker_fixtures import wait_for

State = CrossPost.State


def rules_found(text, settings=None, **kwargs):
    settings = settings or ProtocolSettings()
    return [(f.rule, f.match) for f in guard.check_text(text, settings, **kwargs)]


def nhs_number(first_nine: str) -> str | None:
    """An NHS number with its check digit, worked out here from the NHS data
    dictionary's description (not with the code under test); None when no
    check digit exists for these nine digits."""
    total = sum(
        int(digit) * weight
        for digit, weight in zip(first_nine, range(10, 1, -1), strict=True)
    )
    check = (11 - total % 11) % 11
    return None if check == 10 else first_nine + str(check)


def with_wrong_check_digit(number: str) -> str:
    return number[:9] + str((int(number[9]) + 1) % 10)


VALID_NHS = [n for n in map(nhs_number, ["943476591", "401023213", "485777345"]) if n]


def spaced(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}"


# Email addresses -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, match",
    [
        ("Email jo.bloggs@example.gov.uk for help.", "jo.bloggs@example.gov.uk"),
        ("Contact: WASTE+bins@council.example.org", "WASTE+bins@council.example.org"),
        ("(write to info@exampleshire.gov.uk.)", "info@exampleshire.gov.uk"),
    ],
)
def test_email_addresses_are_found(text, match):
    assert rules_found(text) == [("email_address", match)]


@pytest.mark.parametrize(
    "text",
    [
        "Follow @ExampleshireCC",
        "Visit example.gov.uk/bins",
        "Rated 5@home",
        "Tickets @ £5 each",
        "Read more at bbc.co.uk/news",
    ],
)
def test_text_without_email_addresses_is_not_held(text):
    assert "email_address" not in dict(rules_found(text))


# Phone numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, match",
    [
        ("Call +44 7700 900123 today", "+44 7700 900123"),
        ("Call 020 7946 0018.", "020 7946 0018"),
        ("Ring 01632 960001 for bookings", "01632 960001"),
        ("Mobile: 07700 900123", "07700 900123"),
        ("Mobile: 07700-900-123", "07700-900-123"),
        ("(020) 7946 0018", "(020) 7946 0018"),
        ("+44 (0)20 7946 0018", "+44 (0)20 7946 0018"),
        ("+442079460018", "+442079460018"),
        ("Freephone 0800 123 4567", "0800 123 4567"),
        ("Tel 01632960001, thanks", "01632960001"),
    ],
)
def test_uk_phone_numbers_are_found(text, match):
    assert ("phone_number", match) in rules_found(text)


@pytest.mark.parametrize(
    "text",
    [
        "The consultation closes on 2026-01-15.",
        "It closes 15/01/2026 at 5pm",
        "A budget of £1,250,000 for roads",
        "Planning reference A123 and B4567",
        "In 2026 and 2027 we will",
        "Ward 12, route 0.5 miles",
        "Order 1234567 was posted",
        "Case 04123 456789",  # 04 is not a UK number range
    ],
)
def test_dates_sums_and_references_are_not_phone_numbers(text):
    assert "phone_number" not in dict(rules_found(text))


# National Insurance numbers --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "NI AB123456C",
        "NI AB 12 34 56 C",
        "ce 12 34 56 b",
        "OA123456A",  # O may be the first letter
        "ZY123456D",
        "JT 98 76 54 A",
    ],
)
def test_valid_ni_numbers_are_found(text):
    assert "ni_number" in dict(rules_found(text))


@pytest.mark.parametrize(
    "text",
    [
        "DA123456A",  # D is never a first letter
        "FA123456A",
        "IA123456A",
        "QQ123456C",
        "UA123456A",
        "VA123456A",
        "AO123456A",  # O is never the second letter
        "AD123456A",
        "AF123456A",
        "AI123456A",
        "AQ123456A",
        "AU123456A",
        "AV123456A",
        "BG123456A",  # prefixes never issued
        "GB123456A",
        "KN123456A",
        "NK123456A",
        "NT123456A",
        "TN123456A",
        "ZZ123456A",
        "AB123456E",  # suffix only A to D
        "AB12345C",  # five digits
        "XAB123456C",  # part of a longer code
    ],
)
def test_invalid_ni_numbers_are_not_found(text):
    assert "ni_number" not in dict(rules_found(text))


# NHS numbers ------------------------------------------------------------------------


def test_the_independent_nhs_example_is_valid():
    assert "9434765919" in VALID_NHS
    assert len(VALID_NHS) >= 2


@pytest.mark.parametrize("number", VALID_NHS)
@pytest.mark.parametrize("layout", [str, spaced, lambda n: spaced(n).replace(" ", "-")])
def test_nhs_numbers_with_a_valid_check_digit_are_found(number, layout):
    text = f"Patient {layout(number)} was seen"
    found = guard.check_text(text, ProtocolSettings())
    nhs = [f for f in found if f.rule == "nhs_number"]
    assert len(nhs) == 1
    assert text[nhs[0].start : nhs[0].end] == layout(number)
    assert nhs[0].message == (
        f"This looks like an NHS number: {layout(number)}. "
        "Personal data must not be posted."
    )


@pytest.mark.parametrize("number", VALID_NHS)
def test_nhs_numbers_with_a_wrong_check_digit_are_not_found(number):
    assert "nhs_number" not in dict(
        rules_found(f"Ref {spaced(with_wrong_check_digit(number))}")
    )


def test_nine_digits_with_no_possible_check_digit_are_not_nhs_numbers():
    impossible = next(
        f"{n:09d}"
        for n in range(100000000, 100001000)
        if nhs_number(f"{n:09d}") is None
    )
    for last in "0123456789":
        assert "nhs_number" not in dict(rules_found(impossible + last))


# Markings, embargo and blocklist ---------------------------------------------------


@pytest.mark.parametrize(
    "text, match",
    [
        ("OFFICIAL-SENSITIVE: draft budget", "OFFICIAL-SENSITIVE"),
        ("official sensitive draft", "official sensitive"),
        ("This is Top Secret.", "Top Secret"),
        ("Marked RESTRICTED", "RESTRICTED"),
    ],
)
def test_protective_markings_are_found_whole_and_in_any_case(text, match):
    assert ("protective_marking", match) in rules_found(text)


def test_a_marking_inside_a_longer_marking_is_reported_once():
    found = rules_found("TOP SECRET plans")
    assert found == [("protective_marking", "TOP SECRET")]


@pytest.mark.parametrize(
    "text",
    ["The secretary of the committee", "Confidentiality agreement", "Officially"],
)
def test_words_that_merely_contain_a_marking_are_not_held(text):
    assert "protective_marking" not in dict(rules_found(text))


@pytest.mark.parametrize(
    "text, match",
    [
        ("EMBARGOED until 10am", "EMBARGOED"),
        ("Under embargo until Monday", "embargo"),
        ("Not for publication before the meeting", "Not for publication"),
    ],
)
def test_embargo_words_are_found(text, match):
    assert ("embargo", match) in rules_found(text)


def test_embargo_words_are_whole_words():
    assert "embargo" not in dict(rules_found("The embargoes list is public"))


def test_blocklist_phrases_from_the_settings_are_found():
    settings = ProtocolSettings(blocklist="rubbish tip\n\n  Council Tax Scam  \n")
    text = "Visit the Rubbish Tip; beware the council tax scam."
    found = guard.check_text(text, settings)
    assert [(f.rule, text[f.start : f.end]) for f in found] == [
        ("blocklist", "Rubbish Tip"),
        ("blocklist", "council tax scam"),
    ]
    assert rules_found("Recycling centre open", settings) == []


def test_an_empty_blocklist_holds_nothing():
    assert rules_found("Anything at all", ProtocolSettings(blocklist="")) == []


# Alt text -------------------------------------------------------------------------


def test_an_image_without_alt_text_is_a_finding():
    images = (
        Image(Path("lorry.jpg"), "A bin lorry"),
        Image(Path("street.jpg"), "   "),
    )
    found = guard.check_text("Bins are late", ProtocolSettings(), images=images)
    assert [(f.rule, f.start) for f in found] == [("alt_text", None)]
    assert "street.jpg" in found[0].message


def test_alt_text_rule_can_be_switched_off():
    images = (Image(Path("street.jpg"), ""),)
    settings = ProtocolSettings(require_alt_text=False)
    assert guard.check_text("Bins", settings, images=images) == []


# Pre-election period ---------------------------------------------------------------


def purdah_settings(starts_in_days, ends_in_days):
    today = guard.london_today()
    return ProtocolSettings(
        purdah_starts=today + timedelta(days=starts_in_days),
        purdah_ends=today + timedelta(days=ends_in_days),
    )


@pytest.mark.parametrize("starts, ends", [(-1, 1), (0, 0), (-30, 0), (0, 30)])
def test_political_terms_are_held_during_the_pre_election_period(starts, ends):
    text = "Meet the candidates: Elections on Thursday."
    found = rules_found(text, purdah_settings(starts, ends))
    assert ("purdah", "candidates") in found
    assert ("purdah", "Elections") in found


@pytest.mark.parametrize("starts, ends", [(1, 30), (-30, -1)])
def test_political_terms_are_fine_outside_the_pre_election_period(starts, ends):
    assert rules_found("Meet the candidates", purdah_settings(starts, ends)) == []


def test_no_pre_election_period_set_holds_nothing():
    assert rules_found("Vote for the party manifesto", ProtocolSettings()) == []


def test_the_pre_election_period_uses_the_given_day():
    settings = purdah_settings(-1, 1)
    past = guard.london_today() - timedelta(days=10)
    assert rules_found("election", settings, today=past) == []


# Switches and shape ----------------------------------------------------------------


def test_personal_data_checks_can_be_switched_off():
    settings = ProtocolSettings(
        check_email_addresses=False,
        check_phone_numbers=False,
        check_ni_numbers=False,
        check_nhs_numbers=False,
    )
    text = f"a@b.gov.uk 020 7946 0018 AB123456C {VALID_NHS[0]}"
    assert rules_found(text, settings) == []
    assert {rule for rule, _ in rules_found(text)} == {
        "email_address",
        "phone_number",
        "ni_number",
        "nhs_number",
    }


def test_clean_text_has_no_findings():
    assert rules_found("Bins are collected a day late after the bank holiday.") == []


def test_findings_are_json_safe_dicts_with_offsets(db):
    from channels.values import Post

    post = Post(text="Call 020 7946 0018", link="https://x.test/", marker="x")
    (finding,) = guard.check_post(post, page=None)
    assert finding == {
        "rule": "phone_number",
        "message": finding["message"],
        "match": "020 7946 0018",
        "start": 5,
        "end": 18,
        "field": "text",
    }
    assert "020 7946 0018" in finding["message"]


def test_check_post_uses_the_sites_protocol_settings(site):
    settings = ProtocolSettings.for_site(site["home"].get_site())
    settings.blocklist = "fly-tipping amnesty"
    settings.save()
    from channels.values import Post

    post = Post(text="A fly-tipping amnesty this week", link="", marker="")
    assert [f["rule"] for f in guard.check_post(post, site["home"])] == ["blocklist"]


# A held post end to end ------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_post_with_personal_data_is_held_until_approved_or_rejected(
    sandbox, accounts, make_policy, celery_worker_process, django_user_model
):
    comms = django_user_model.objects.create_superuser("comms-manager", password="x")
    page = make_policy(summary="Questions? Email jo.bloggs@exampleshire.gov.uk today.")
    publish(page)

    rows = {row.platform: row for row in rows_for(page)}
    assert set(rows) == {"facebook", "x"}
    for row in rows.values():
        assert row.state == State.HELD
        assert [f["rule"] for f in row.guard_findings] == ["email_address"]
        finding = row.guard_findings[0]
        assert row.text[finding["start"] : finding["end"]] == (
            "jo.bloggs@exampleshire.gov.uk"
        )
    delivery.sweep()  # the sweeper must not pick up held rows

    reason = "A council mailbox, published on our website."
    actions.approve(rows["facebook"], comms, reason)
    posted = wait_for(
        lambda: CrossPost.objects.filter(
            pk=rows["facebook"].pk, state=State.POSTED
        ).first(),
        timeout=60,
        message=lambda: celery_worker_process.log_tail(),
    )
    assert posted.permalink
    actions.reject(rows["x"], comms, "Use the contact form instead.")

    marker = content.canonical_url(page)
    assert len(live_posts_with_marker(sandbox, marker, "facebook")) == 1
    assert live_posts_with_marker(sandbox, marker, "x") == []
    x_row = CrossPost.objects.get(pk=rows["x"].pk)
    assert x_row.state == State.CANCELLED
    assert x_row.reviewed_by == comms

    approval = PageLogEntry.objects.get(
        page=page, action="publishing.crosspost.approved"
    )
    assert approval.user == comms
    assert approval.data["reason"] == reason
    assert approval.data["platform"] == "facebook"
    rejection = PageLogEntry.objects.get(
        page=page, action="publishing.crosspost.rejected"
    )
    assert rejection.data["reason"] == "Use the contact form instead."
