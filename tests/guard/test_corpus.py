"""Hundreds of ways of writing personal data and markings are held; hundreds of
ordinary council sentences are not."""

from __future__ import annotations

import pytest

from publishing import guard
from tests.guard import corpus

HELD = corpus.personal_data()
ORDINARY = corpus.ordinary()


def test_the_corpus_is_large_and_covers_every_rule():
    assert len(HELD) >= 200
    assert len(ORDINARY) >= 200
    assert {rule for rule, _ in HELD} >= {
        "ni_number",
        "nhs_number",
        "email_address",
        "phone_number",
        "card_number",
        "bank_details",
        "home_address",
        "date_of_birth",
        "protective_marking",
    }


@pytest.mark.parametrize("rule, text", HELD, ids=[text for _, text in HELD])
def test_personal_data_and_markings_are_held(rule, text):
    found = guard.check_text(text, corpus.council_settings())
    assert rule in {finding.rule for finding in found}


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_council_text_is_not_held(text):
    assert guard.check_text(text, corpus.council_settings()) == []
