"""Personal data and markings written to slip past a filter are still found,
and each finding points at the characters as the editor wrote them."""

from __future__ import annotations

import pytest

from publishing import guard
from publishing.models import ProtocolSettings
from publishing.normalise import normalise

NHS = "9434765919"  # a valid check digit (NHS data dictionary example)


def found(text, settings=None):
    settings = settings or ProtocolSettings()
    return [(f.rule, text[f.start : f.end]) for f in guard.check_text(text, settings)]


@pytest.mark.parametrize(
    "written, rule",
    [
        ("AB-12-34-56-C", "ni_number"),
        ("AB.12.34.56.C", "ni_number"),
        ("AB 12  34\u00a056 C", "ni_number"),
        ("943-476 5919", "nhs_number"),
        ("943  476  5919", "nhs_number"),
        ("943.476-5919", "nhs_number"),
        ("943\u2013476\u20135919", "nhs_number"),
        ("jo[at]example.gov.uk", "email_address"),
        ("jo (at) example (dot) gov (dot) uk", "email_address"),
        ("jo @ example.gov.uk", "email_address"),
        ("jo\uff20example.gov.uk", "email_address"),
        ("jo.bloggs at example.gov.uk", "email_address"),
        ("jo at example dot gov dot uk", "email_address"),
        ("020.7946.0018", "phone_number"),
        ("020\u20137946\u20130018", "phone_number"),
        ("020\u00a07946\u00a00018", "phone_number"),
        ("020  7946  0018", "phone_number"),
        (
            "\uff10\uff12\uff10 \uff17\uff19\uff14\uff16 \uff10\uff10\uff11\uff18",
            "phone_number",
        ),
        ("07700\u200b900123", "phone_number"),
        ("OFFICIAL_SENSITIVE", "protective_marking"),
        ("OFFICIAL/SENSITIVE", "protective_marking"),
        ("OFFICIAL\u2013SENSITIVE", "protective_marking"),
        ("OFFI\u200bCIAL-SENSITIVE", "protective_marking"),
        ("\u041eFFICIAL-SENSITIVE", "protective_marking"),  # Cyrillic O
        ("\u039fFFICIAL SENSITIVE", "protective_marking"),  # Greek Omicron
        ("O F F I C I A L - S E N S I T I V E", "protective_marking"),
        ("S.E.C.R.E.T", "protective_marking"),
        ("\u202eSECRET\u202c", "protective_marking"),
        ("EMBAR\u00adGOED", "embargo"),
    ],
)
def test_a_disguised_item_is_found_where_it_was_written(written, rule):
    text = f"Update: {written} (see below)."
    hits = found(text)
    assert (rule, written.strip("\u202e\u202c")) in hits or (rule, written) in hits


def test_spans_point_into_the_original_text_after_removed_characters():
    text = "\u200b\u200bNI \u041eA 12 34 56 A and call 020\u20137946\u20130018"
    hits = dict(found(text))
    assert hits["ni_number"] == "\u041eA 12 34 56 A"
    assert hits["phone_number"] == "020\u20137946\u20130018"


def test_a_ligature_maps_back_to_the_one_character_it_came_from():
    folded = normalise("\ufb01le SECRET")  # "ﬁ" folds to two letters
    assert folded.text == "file SECRET"
    assert folded.original_span(5, 11) == (4, 10)
    assert folded.original_span(0, 2) == (0, 1)


@pytest.mark.parametrize(
    "text",
    [
        f"Quote REF/{NHS} on the form",
        f"Planning reference {NHS}",
        f"Case no. {NHS}",
        "Reference REF/0123456789 applies",
        "See exampleshire.gov.uk/news/0123456789",
    ],
)
def test_reference_numbers_are_not_nhs_numbers(text):
    assert "nhs_number" not in dict(found(text))


def test_an_nhs_number_named_as_one_is_still_found():
    assert ("nhs_number", NHS) in found(f"NHS number {NHS}")


def test_a_phone_number_beside_an_ni_number_is_not_taken_for_bank_details():
    from publishing.models import ProtocolSettings

    found = guard.check_text(
        "Call 020 7946 0018 or quote AB 12 34 56 C.", ProtocolSettings()
    )

    assert {finding.rule for finding in found} == {"phone_number", "ni_number"}
