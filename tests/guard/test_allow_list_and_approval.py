"""The council's own contacts are never held, and the person who published a
page cannot approve its held post."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from publishing import guard
from publishing.models import ProtocolSettings

COUNCIL = ProtocolSettings(
    allowed_phone_numbers="01632 960000\n+44 (0)20 7946 0000\n",
    allowed_email_addresses="contact@exampleshire.gov.uk\n@bins.example.org\n",
)


def rules(text, settings=COUNCIL):
    return [f.rule for f in guard.check_text(text, settings)]


@pytest.mark.parametrize(
    "text",
    [
        "Call us on 01632 960000.",
        "Call us on 01632-960-000.",
        "Call us on +44 1632 960000.",
        "Call us on \uff10\uff11\uff16\uff13\uff12 960000.",
        "Call 020 7946 0000",
        "Email contact@exampleshire.gov.uk",
        "Email CONTACT [at] exampleshire [dot] gov [dot] uk",
        "Email anyone@bins.example.org",
    ],
)
def test_the_councils_own_contacts_are_not_held(text):
    assert rules(text) == []


@pytest.mark.parametrize(
    "text, rule",
    [
        ("Call 01632 960001", "phone_number"),
        ("Email jo@exampleshire.gov.uk", "email_address"),
        ("Email jo@sub.bins.example.org", "email_address"),  # exact domains only
    ],
)
def test_other_contacts_are_still_held(text, rule):
    assert rules(text) == [rule]


def test_without_an_allow_list_the_councils_number_is_held():
    assert rules("Call us on 01632 960000.", ProtocolSettings()) == ["phone_number"]


# Four eyes ------------------------------------------------------------------------


def user(pk, superuser=False):
    return SimpleNamespace(pk=pk, is_superuser=superuser)


ROW = SimpleNamespace(published_by_id=7)


def test_the_publisher_cannot_approve_their_own_held_post():
    reason = guard.approval_refusal(ROW, user(7), ProtocolSettings())
    assert reason and "You published this page" in reason


def test_a_superuser_publisher_is_refused_and_told_why():
    reason = guard.approval_refusal(ROW, user(7, superuser=True), ProtocolSettings())
    assert "administrators too" in reason
    assert "switched off" in reason


def test_someone_else_may_approve():
    assert guard.approval_refusal(ROW, user(8), ProtocolSettings()) is None


def test_a_row_with_no_known_publisher_may_be_approved():
    row = SimpleNamespace(published_by_id=None)
    assert guard.approval_refusal(row, user(7), ProtocolSettings()) is None


def test_the_four_eyes_rule_is_on_by_default_and_can_be_switched_off():
    assert ProtocolSettings().publisher_cannot_approve is True
    settings = ProtocolSettings(publisher_cannot_approve=False)
    assert guard.approval_refusal(ROW, user(7), settings) is None
