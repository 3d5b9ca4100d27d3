"""Bluesky and Mastodon have a text of their own on the page and a message
template in the site's settings, as the other platforms do; the Social tab and
the settings screen show those of the enabled platforms only."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import Site

from channels import registry
from channels.bluesky_text import grapheme_length
from publishing.models import ChannelAccount, SocialSettings

from .conftest import form_data, publish, rows_for

ENDPOINT = "publishing_social_preview"
BLUESKY_TEXT = "Bins go out on Tuesday this week 🗑️"
MASTODON_TEXT = "Recycling is collected on Tuesday, not Monday."


@pytest.fixture
def new_platform_accounts(site):
    """A Bluesky and a Mastodon account (no tokens: nothing is sent), as the
    site's defaults."""
    made = [
        ChannelAccount.objects.create(
            platform=platform, display_name=name, remote_id=f"{platform}-1"
        )
        for platform, name in [
            ("bluesky", "@exampleshire.bsky.social"),
            ("mastodon", "@exampleshire"),
        ]
    ]
    social = SocialSettings.for_site(Site.objects.get(is_default_site=True))
    social.default_accounts.set(made)
    return social


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("ed", password="x"))
    return client


@pytest.fixture
def without_bluesky(settings):
    settings.SOCIAL_CHANNELS = {
        platform: config
        for platform, config in settings.SOCIAL_CHANNELS.items()
        if platform != "bluesky"
    }


def posted_texts(page) -> dict[str, str]:
    return {row.platform: row.text for row in rows_for(page)}


def test_the_pages_own_bluesky_and_mastodon_texts_are_what_is_posted(
    new_platform_accounts, make_policy
):
    page = make_policy(
        social_text_bluesky=BLUESKY_TEXT, social_text_mastodon=MASTODON_TEXT
    )

    publish(page)

    texts = posted_texts(page)
    assert texts["bluesky"].startswith(f"{BLUESKY_TEXT}\n\nhttp")
    assert texts["mastodon"].startswith(f"{MASTODON_TEXT}\n\nhttp")


def test_the_sites_bluesky_and_mastodon_templates_compose_their_posts(
    new_platform_accounts, make_policy
):
    social = new_platform_accounts
    social.bluesky_template = "{title}, on Bluesky: {link}"
    social.mastodon_template = "{title}, on Mastodon {hashtags}\n\n{link}"
    social.save()
    page = make_policy(title="Bin Day Policy")

    publish(page)

    texts = posted_texts(page)
    assert texts["bluesky"].startswith("Bin Day Policy, on Bluesky: http")
    assert texts["mastodon"].startswith(
        "Bin Day Policy, on Mastodon #WasteAndRecycling\n\nhttp"
    )


@pytest.mark.parametrize("platform", ["bluesky", "mastodon"])
def test_a_new_template_starts_as_what_was_posted_before_it_was_a_setting(
    site, platform
):
    field = SocialSettings._meta.get_field(f"{platform}_template")
    social = SocialSettings.for_site(Site.objects.get(is_default_site=True))

    assert field.default == registry.get(platform).default_template
    assert social.template_for(platform) == field.default


def test_the_counter_counts_the_texts_being_written_for_bluesky_and_mastodon(
    admin_client, new_platform_accounts, make_policy
):
    page = make_policy()

    response = admin_client.post(
        reverse(ENDPOINT),
        {
            "page_id": page.pk,
            "social_text_bluesky": BLUESKY_TEXT,
            "social_text_mastodon": MASTODON_TEXT,
        },
    )

    channels = response.json()["channels"]
    bluesky, mastodon = channels["bluesky"], channels["mastodon"]
    assert bluesky["text"].startswith(BLUESKY_TEXT)
    assert (bluesky["length"], bluesky["limit"]) == (
        grapheme_length(bluesky["text"]),
        300,
    )
    assert mastodon["text"].startswith(MASTODON_TEXT)
    assert mastodon["limit"] == 500


@pytest.mark.parametrize(
    ("mode", "text"), [("bluesky", BLUESKY_TEXT), ("mastodon", MASTODON_TEXT)]
)
def test_the_preview_shows_the_text_being_written_for_the_platform(
    admin_client, site, new_platform_accounts, make_policy, mode, text
):
    page = make_policy()
    url = reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])
    data = form_data(site, "policy", title=page.title, slug=page.slug)
    # As the preview panel sends the edit form, unsaved.
    stored = admin_client.post(url, {**data, f"social_text_{mode}": text})
    assert stored.json()["is_valid"] is True

    response = admin_client.get(url, {"mode": mode})

    assert text in response.content.decode()


def test_the_social_tab_has_a_text_for_each_enabled_platform_only(
    admin_client, without_bluesky, make_policy
):
    page = make_policy()

    html = admin_client.get(
        reverse("wagtailadmin_pages:edit", args=[page.pk])
    ).content.decode()

    assert 'name="social_text_mastodon"' in html
    assert 'name="social_text_x"' in html
    assert 'name="social_text_bluesky"' not in html


def test_saving_the_page_keeps_the_text_of_a_platform_not_enabled(
    admin_client, site, without_bluesky, make_policy
):
    page = make_policy(social_text_bluesky=BLUESKY_TEXT)
    publish(page)
    data = form_data(site, "policy", title=page.title, slug=page.slug)
    data["social_text_mastodon"] = MASTODON_TEXT

    response = admin_client.post(
        reverse("wagtailadmin_pages:edit", args=[page.pk]), data
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    draft = type(page).objects.get(pk=page.pk).get_latest_revision_as_object()
    assert draft.social_text_mastodon == MASTODON_TEXT
    assert draft.social_text_bluesky == BLUESKY_TEXT


def test_the_settings_screen_has_a_template_for_each_enabled_platform_only(
    admin_client, site, without_bluesky
):
    default_site = Site.objects.get(is_default_site=True)
    url = reverse(
        "wagtailsettings:edit", args=["publishing", "socialsettings", default_site.pk]
    )

    html = admin_client.get(url).content.decode()

    assert 'name="mastodon_template"' in html
    assert 'name="x_template"' in html
    assert 'name="bluesky_template"' not in html


def test_the_settings_screen_names_each_template_as_its_platform_counts_it(
    admin_client, site
):
    default_site = Site.objects.get(is_default_site=True)
    url = reverse(
        "wagtailsettings:edit", args=["publishing", "socialsettings", default_site.pk]
    )

    response = admin_client.get(url)

    fields = response.context["form"].fields
    labels = {name: str(fields[name].label) for name in fields if "template" in name}
    assert labels == {
        "facebook_template": "Facebook template",
        "x_template": "X template",
        "youtube_description_template": "YouTube description template",
        "bluesky_template": "Bluesky template",
        "mastodon_template": "Mastodon template",
    }
    # Each says what it may hold and how its platform counts it; those the
    # platform cuts to fit say so.
    for name in labels:
        assert fields[name].help_text.startswith("Placeholders: {title}, {summary},")
    x_help = fields["x_template"].help_text
    assert "X allows 280 characters: it counts links as 23" in x_help
    assert "cut to fit" in fields["x_template"].help_text
    assert "5,000 characters" in fields["youtube_description_template"].help_text
    assert "cut to fit" not in fields["facebook_template"].help_text
    html = response.content.decode()
    assert "UTM campaign" in html and "Add UTM tags" in html
    assert "Youtube" not in html and "Utm" not in html
