"""The two site settings the live channel previews read, in one query."""

from __future__ import annotations

import pytest
from wagtail.models import Site

from publishing import content, guard
from publishing.models import ProtocolSettings, SocialSettings


@pytest.mark.django_db
def test_both_settings_are_the_sites_own_rows(site_settings, make_policy):
    page = make_policy()
    social, protocol = site_settings

    got_social, got_protocol, _ = content.publishing_inputs(
        page, default_accounts=False
    )

    assert (got_social.pk, got_protocol.pk) == (social.pk, protocol.pk)
    assert got_social.x_template == "{title} (from the settings row)"
    assert got_protocol.blocklist == "confidential"
    # The same rows the one-at-a-time lookups find.
    assert content.social_settings_for(page).pk == social.pk
    assert guard.protocol_settings_for(page).pk == protocol.pk


@pytest.mark.django_db
def test_a_site_without_settings_rows_gets_them_created(site, make_policy):
    page = make_policy()
    SocialSettings.objects.all().delete()
    ProtocolSettings.objects.all().delete()

    social, protocol, _ = content.publishing_inputs(page, default_accounts=False)

    site_id = content.site_id_for(page)
    assert SocialSettings.objects.get(site_id=site_id).pk == social.pk
    assert ProtocolSettings.objects.get(site_id=site_id).pk == protocol.pk
    # Created with the models' defaults, as Wagtail's for_site would.
    assert social.x_template == SocialSettings._meta.get_field("x_template").default


@pytest.mark.django_db
def test_a_page_on_no_site_gets_unsaved_defaults(site, make_policy):
    page = make_policy()
    Site.objects.all().delete()
    page = type(page).objects.get(pk=page.pk)  # forget the cached site

    social, protocol, _ = content.publishing_inputs(page, default_accounts=False)

    assert social.pk is None and protocol.pk is None
    assert isinstance(social, SocialSettings)
    assert isinstance(protocol, ProtocolSettings)
