"""Wagtail's autosave with our page types: a new page's first autosave creates it
through the create view, later ones go to the edit view.

When a second save of the same new page reaches the create view (an autosave
racing the editor's Submit, the form's action not yet switched over), Wagtail
refuses it because the slug is taken. These tests pin down that our side of that
path (the page types' ``clean``, the Social tab's fields and panels, the
``social_accounts`` many-to-many) answers it as a refusal, never a server error,
and that an autosaved new page keeps the editor's social choices through to
submission.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from wagtail.models import Page

from council_site.news.models import AnnouncementPage
from council_site.policies.models import PolicyPage
from publishing.models import ChannelAccount

from .conftest import form_data

JSON = {"HTTP_ACCEPT": "application/json"}  # what the autosave script sends
X_TEXT = "Bins go out a day late this week."


@pytest.fixture
def editor_client(client, people):
    client.force_login(people["editor"])
    return client


@pytest.fixture
def x_account(db):
    # No token: nothing here talks to a platform.
    return ChannelAccount.objects.create(
        platform="x", display_name="@ExampleshireCC", remote_id="x-1"
    )


def create_url(site, kind: str) -> str:
    if kind == "announcement":
        args = ["news", "announcementpage", site["news"].pk]
    else:
        args = ["policies", "policypage", site["policies"].pk]
    return reverse("wagtailadmin_pages:add", args=args)


def children_with_slug(site, kind: str, slug: str):
    parent = site["news"] if kind == "announcement" else site["policies"]
    return Page.objects.child_of(parent).filter(slug=slug)


@pytest.mark.parametrize("kind", ["announcement", "policy"])
def test_a_second_autosave_to_the_create_view_is_refused_not_a_server_error(
    editor_client, site, x_account, kind
):
    url = create_url(site, kind)
    data = form_data(
        site,
        kind,
        social_mode="custom",
        social_accounts=[x_account.pk],
        social_text_x=X_TEXT,
    )

    first = editor_client.post(url, data, **JSON)
    assert first.status_code == 200, first.content
    assert first.json()["success"] is True

    second = editor_client.post(url, data, **JSON)
    assert second.status_code == 400, second.content
    assert second.json() == {
        "success": False,
        "error_code": "validation_error",
        "error_message": "There are validation errors, click save to highlight them.",
    }
    assert children_with_slug(site, kind, data["slug"]).count() == 1


@pytest.mark.parametrize("kind", ["announcement", "policy"])
def test_a_submit_that_reaches_the_create_view_after_an_autosave_shows_the_form(
    editor_client, site, x_account, kind
):
    """The editor's Submit, sent while the first autosave was on its way, is
    refused for the slug; the form comes back with its Social tab, not a 500."""
    url = create_url(site, kind)
    data = form_data(
        site,
        kind,
        social_mode="custom",
        social_accounts=[x_account.pk],
        social_text_x=X_TEXT,
    )
    assert editor_client.post(url, data, **JSON).status_code == 200

    response = editor_client.post(url, {**data, "action-submit": "Submit"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "already in use" in html
    # The Social tab is rendered for the refused form, with the editor's choice.
    assert 'data-model="' in html
    assert X_TEXT in html
    assert f'value="{x_account.pk}"' in html
    page = children_with_slug(site, kind, data["slug"]).get().specific
    assert page.workflow_in_progress is False


@pytest.mark.parametrize("kind", ["announcement", "policy"])
def test_an_autosaved_new_page_keeps_its_social_choices_through_to_submission(
    editor_client, site, x_account, kind
):
    url = create_url(site, kind)
    data = form_data(site, kind, social_mode="custom", social_accounts=[x_account.pk])

    created = editor_client.post(url, data, **JSON)
    assert created.status_code == 200, created.content
    body = created.json()
    # The script then swaps the form over to the edit view.
    assert editor_client.get(body["hydrate_url"]).status_code == 200

    later = {
        **data,
        "social_text_x": X_TEXT,
        "overwrite_revision_id": body["revision_id"],
    }
    resaved = editor_client.post(body["url"], later, **JSON)
    assert resaved.status_code == 200, resaved.content
    assert resaved.json()["revision_id"] == body["revision_id"]

    submitted = editor_client.post(body["url"], {**later, "action-submit": "Submit"})
    assert submitted.status_code == 302

    model = AnnouncementPage if kind == "announcement" else PolicyPage
    page = model.objects.get(pk=body["pk"])
    assert page.workflow_in_progress is True
    assert not page.live
    draft = page.get_latest_revision_as_object()
    assert draft.social_mode == "custom"
    assert [account.pk for account in draft.social_accounts.all()] == [x_account.pk]
    assert draft.social_text_x == X_TEXT
    assert children_with_slug(site, kind, data["slug"]).count() == 1


@pytest.mark.django_db
def test_autosave_is_off_so_an_editor_never_races_it(editor_client, site):
    # Left on, an autosave still on its way when the editor submits a new page
    # makes Wagtail 8.0's create view refuse the submit or fail with a 500.
    html = editor_client.get(create_url(site, "announcement")).content.decode()

    controllers = re.search(r'data-controller="(w-init w-unsaved[^"]*)"', html)
    assert controllers, "the page form is not in the create view"
    assert "w-autosave" not in controllers.group(1).split()
    assert "data-w-autosave-interval-value" not in html
