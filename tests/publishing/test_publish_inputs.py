"""What an editor's publish reads, in one statement: the site's two settings, its
default accounts (without their tokens) and what the page's posts are made from."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from publishing import content, outbox
from publishing.models import ChannelAccount, ProtocolSettings, SocialSettings
from tests.publishing.conftest import publish, rows_for


@pytest.mark.django_db
def test_a_site_without_default_accounts_reads_none(site, make_policy):
    page = make_policy()

    social, protocol, defaults = content.publishing_inputs(page, default_accounts=True)

    assert defaults == []
    assert social.pk is not None and protocol.pk is not None


@pytest.mark.django_db
def test_without_default_accounts_they_are_not_read(accounts, make_policy):
    page = make_policy()
    content.site_id_for(page)

    with CaptureQueriesContext(connection) as captured:
        _social, _protocol, defaults = content.publishing_inputs(
            page, default_accounts=False
        )

    assert defaults == []
    assert '"publishing_channelaccount"' not in captured.captured_queries[0]["sql"]


@pytest.mark.django_db
@pytest.mark.parametrize("missing", [(SocialSettings,), (ProtocolSettings,),
                                     (SocialSettings, ProtocolSettings)])
def test_a_site_without_a_settings_row_gets_it_created(site, make_policy, missing):
    page = make_policy()
    content.publishing_inputs(page, default_accounts=False)  # both rows exist ...
    for model in missing:
        model.objects.all().delete()  # ... until these are deleted

    social, protocol, defaults = content.publishing_inputs(page, default_accounts=True)

    site_id = content.site_id_for(page)
    assert SocialSettings.objects.get(site_id=site_id).pk == social.pk
    assert ProtocolSettings.objects.get(site_id=site_id).pk == protocol.pk
    assert social.x_template == SocialSettings._meta.get_field("x_template").default
    assert defaults == []


@pytest.mark.django_db
def test_a_page_on_no_site_gets_unsaved_defaults(site, make_policy):
    page = make_policy()
    Site.objects.all().delete()
    page = type(page).objects.get(pk=page.pk)  # forget the cached site

    social, protocol, defaults = content.publishing_inputs(page, default_accounts=True)

    assert (social.pk, protocol.pk, defaults) == (None, None, [])


@pytest.mark.django_db
def test_a_disconnected_default_account_is_not_posted_to(accounts, make_announcement):
    ChannelAccount.objects.filter(pk=accounts["x"].pk).update(status="disconnected")
    page = make_announcement(live=False)

    publish(page)

    assert sorted(row.platform for row in rows_for(page)) == ["facebook", "youtube"]


@pytest.mark.django_db
def test_the_editors_own_choice_of_accounts_is_what_is_posted_to(
    accounts, make_announcement
):
    page = make_announcement(live=False, social_mode="custom")
    page.social_accounts.set([accounts["facebook"]])

    revision = page.save_revision()
    changed, skipped = outbox.queue_page(revision.as_object(), revision)

    assert skipped == []
    assert [row.account_id for row in changed] == [accounts["facebook"].pk]


@pytest.mark.django_db
def test_the_accounts_read_are_the_accounts_the_orm_loads(accounts, make_policy):
    page = make_policy()

    defaults = content.publishing_inputs(page, default_accounts=True)[2]

    names = [
        f.attname for f in ChannelAccount._meta.concrete_fields
        if f.attname not in outbox.TOKEN_FIELDS
    ]
    loaded = ChannelAccount.objects.order_by("platform", "display_name")
    assert [[getattr(a, name) for name in names] for a in defaults] == [
        [getattr(a, name) for name in names] for a in loaded
    ]
    # Times come back aware, as the ORM gives them, on SQLite as on PostgreSQL.
    assert all(a.connected_at.utcoffset() is not None for a in defaults)
    # The tokens are never read to choose where a page goes.
    assert all(
        name in defaults[0].get_deferred_fields() for name in outbox.TOKEN_FIELDS
    )


@pytest.mark.django_db
def test_the_outbox_read_loads_the_pages_objects_and_says_if_it_has_rows(
    accounts, make_announcement
):
    page = make_announcement(live=False)
    revision = page.save_revision()
    fresh = revision.as_object()

    inputs = content.inputs_for_publish(fresh, default_accounts=True, for_outbox=True)

    assert inputs.page_has_rows is False
    assert fresh.loaded_related("department") == page.department
    assert fresh.loaded_related("hero_image") == page.hero_image
    assert fresh.loaded_related("video") == page.video
    with CaptureQueriesContext(connection) as captured:
        fresh.social_department(), fresh.social_image(), fresh.social_video()
    assert captured.captured_queries == []

    publish(page)
    again = page.save_revision().as_object()
    inputs = content.inputs_for_publish(again, default_accounts=True, for_outbox=True)
    assert inputs.page_has_rows is True


@pytest.mark.django_db
def test_a_republish_still_moves_the_rows_it_finds(accounts, make_announcement):
    page = make_announcement(live=False)
    publish(page)
    first = {row.account_id: row.pk for row in rows_for(page)}
    page.title = "Bins collected two days late"

    publish(page)

    rows = rows_for(page)
    assert {row.account_id: row.pk for row in rows} == first
    assert all("two days late" in row.page_title for row in rows)
