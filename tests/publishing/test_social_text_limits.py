"""Social text has a maximum length: the page form says so as a field error, and
the live counter refuses oversized input with a message it shows, rather than
composing and checking a document on every pause in typing."""

from __future__ import annotations

import pytest
from django import forms
from django.urls import reverse

from council_site.news.models import AnnouncementPage
from council_site.policies.models import PolicyPage

ENDPOINT = "publishing_social_preview"
#: Each platform's own text at its longest, in characters.
LIMITS = {
    "facebook": 63_206,
    "x": 1_000,
    "youtube": 5_000,
    "bluesky": 1_000,
    "mastodon": 1_000,
}


@pytest.fixture
def editor_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("ed", password="x"))
    return client


@pytest.mark.parametrize("model", [AnnouncementPage, PolicyPage])
@pytest.mark.parametrize("platform", LIMITS)
def test_the_page_form_refuses_social_text_over_its_maximum(db, model, platform):
    limit = LIMITS[platform]
    field = (
        model.get_edit_handler().get_form_class().base_fields[f"social_text_{platform}"]
    )
    assert field.clean("a" * limit) == "a" * limit
    with pytest.raises(forms.ValidationError) as refused:
        field.clean("a" * (limit + 1))
    assert f"at most {limit}" in refused.value.messages[0]


def test_the_youtube_title_and_tags_have_a_maximum_in_the_form(db):
    fields = AnnouncementPage.get_edit_handler().get_form_class().base_fields
    with pytest.raises(forms.ValidationError):
        fields["youtube_title"].clean("a" * 101)
    with pytest.raises(forms.ValidationError):
        fields["youtube_tags"].clean("a" * 401)


def test_the_counter_refuses_an_over_long_field_and_names_it(
    editor_client, make_policy
):
    page = make_policy()
    response = editor_client.post(
        reverse(ENDPOINT),
        {"page_id": page.pk, "social_text_x": "Bins " * 201},
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": "X text is 1,005 characters; the most it can be is 1,000. "
        "Shorten it to see the count."
    }


def test_the_counter_refuses_a_request_too_big_to_read(editor_client, make_policy):
    page = make_policy()
    size = 1024 * 1024 + 1
    response = editor_client.post(
        reverse(ENDPOINT),
        {"page_id": page.pk, "search_description": "a" * size},
    )
    assert response.status_code == 413
    assert "far longer than any post can be" in response.json()["error"]


def test_a_field_without_a_maximum_of_its_own_is_capped(editor_client, make_policy):
    page = make_policy()
    response = editor_client.post(
        reverse(ENDPOINT),
        {
            "page_id": page.pk,
            "search_description": "a" * 5_001,
        },
    )
    assert response.status_code == 413
    assert response.json()["error"].startswith("Meta description is 5,001")
