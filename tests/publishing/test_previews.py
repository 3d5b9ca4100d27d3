"""Preview modes show the page as it will be posted on each channel: exactly the
text, link and media the outbox would send."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import escape, strip_tags
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from channels import registry
from publishing import content
from publishing.models import ChannelAccount, SocialSettings
from publishing.preview_views import AVATAR_RENDITION

SOCIAL_MODES = ["facebook", "x", "youtube", "mastodon", "bluesky"]


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("previewer", password="x")


def render(page, mode, user):
    request = RequestFactory().get("/")
    request.user = user
    response = page.make_preview_request(request, mode)
    if hasattr(response, "render"):
        response.render()
    return response


def shown_text(html: str) -> str:
    """The text of the preview's post, as the reader sees it (tags removed)."""
    start = html.index("data-post-text>") + len("data-post-text>")
    return unescape(strip_tags(html[start : html.index("</div>", start)]))


def sent(page, platform):
    return content.build_post(page, platform, content.social_settings_for(page))


def test_the_page_itself_stays_the_first_preview_mode(make_policy, superuser):
    page = make_policy()
    modes = [name for name, _label in page.preview_modes]
    assert modes == ["", *SOCIAL_MODES]
    assert page.default_preview_mode == ""
    html = render(page, "", superuser).content.decode()
    assert "<title>" in html and page.title in html
    assert "Exactly what will be sent" not in html


@pytest.mark.parametrize("mode", SOCIAL_MODES)
def test_each_mode_shows_exactly_the_composed_text(make_policy, superuser, mode):
    page = make_policy(summary="Bins & boxes: what goes where <from April>.")
    response = render(page, mode, superuser)
    html = response.content.decode()
    post = sent(page, mode)
    assert response.status_code == 200
    assert shown_text(html) == post.text
    assert post.link in post.text  # the link travels in the text itself
    assert f'<a href="{escape(post.link)}" data-post-link>' in html


@pytest.mark.parametrize("mode", ["facebook", "x"])
def test_an_editors_override_is_what_the_preview_shows(make_policy, superuser, mode):
    page = make_policy()
    # An unsaved edit, as the preview panel builds it from the form.
    setattr(page, f"social_text_{mode}", "Our own words for this 🗑️ — see the link")
    html = render(page, mode, superuser).content.decode()
    post = sent(page, mode)
    assert post.text.startswith("Our own words for this 🗑️ — see the link")
    assert shown_text(html) == post.text


def test_facebook_preview_shows_the_image_that_is_sent_with_its_alt_text(
    make_announcement, superuser
):
    page = make_announcement(with_video=False)
    html = render(page, "facebook", superuser).content.decode()
    (image,) = sent(page, "facebook").images
    rendition = page.hero_image.get_rendition(content.IMAGE_RENDITION)
    assert f'src="{rendition.url}"' in html
    assert f'alt="{escape(image.alt_text)}"' in html
    assert image.path.name == rendition.file.name.rsplit("/", 1)[-1]


def test_mastodon_preview_is_a_toot_counted_as_mastodon_counts(make_policy, superuser):
    page = make_policy(summary="Croeso! Ailgylchu 🏴󠁧󠁢󠁷󠁬󠁳󠁿 ごみ")
    html = render(page, "mastodon", superuser).content.decode()
    post = sent(page, "mastodon")

    assert 'aria-label="Mastodon post preview"' in html
    assert "Boost" in html
    # The flag of Wales is one character to Mastodon (seven code points).
    assert f"<span>{registry.get('mastodon').text_length(post.text)} / 500</span>" in (
        html
    )
    assert registry.get("mastodon").text_length("🏴󠁧󠁢󠁷󠁬󠁳󠁿") == 1


def test_a_preview_says_when_the_image_cannot_be_read(image_file_gone, superuser):
    page, original = image_file_gone

    response = render(page, "facebook", superuser)

    html = response.content.decode()
    assert response.status_code == 200
    assert "cannot be read" in html and 'role="alert"' in html
    assert "post-image" not in html


def test_youtube_preview_shows_the_video_and_its_metadata(make_announcement, superuser):
    page = make_announcement(
        youtube_title="Bin day changes", youtube_tags="bins, waste"
    )
    html = render(page, "youtube", superuser).content.decode()
    video = sent(page, "youtube").video
    assert video.title == "Bin day changes"
    assert '<h1 class="video-title">Bin day changes</h1>' in html
    assert "#bins" in html and "#waste" in html
    assert 'src="' + page.video.file.url + '"' in html
    assert "Not sent to YouTube" not in html


def test_youtube_preview_says_when_nothing_is_sent(make_policy, superuser):
    html = render(make_policy(), "youtube", superuser).content.decode()
    assert "Not sent to YouTube: this page has no video." in html


def test_a_preview_warns_when_the_post_would_be_held(make_policy, superuser):
    page = make_policy(summary="Call 020 7946 0018 to book.")
    html = render(page, "x", superuser).content.decode()
    assert "held for a comms manager" in html
    assert "This looks like a UK phone number: 020 7946 0018." in html


def test_the_edit_view_offers_the_social_preview_modes(client, superuser, make_policy):
    client.force_login(superuser)
    page = make_policy()
    html = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content
    for mode in SOCIAL_MODES:
        assert f'value="{mode}"'.encode() in html


@pytest.mark.parametrize("mode", SOCIAL_MODES)
def test_previews_are_styled_from_a_static_file_under_the_strict_policy(
    make_announcement, superuser, mode
):
    response = render(make_announcement(), mode, superuser)

    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "style-src 'self'" in policy and "unsafe-inline" not in policy
    assert "default-src 'self'" in policy
    assert "<style" not in html and " style=" not in html
    assert '<link rel="stylesheet" href="/static/publishing/css/previews.css">' in html
    assert f'<body class="social-preview social-preview--{mode}">' in html


@pytest.mark.parametrize("mode", SOCIAL_MODES)
def test_previews_load_nothing_from_another_host(make_announcement, superuser, mode):
    html = render(make_announcement(), mode, superuser).content.decode()

    loaded = re.findall(r'(?:src|poster)="([^"]*)"', html)
    assert loaded and all(url.startswith("/") for url in loaded), loaded
    assert 'src="/static/publishing/img/avatar-placeholder.svg"' in html


def test_the_avatar_is_the_accounts_own_picture_from_our_media(
    make_policy, superuser, site
):
    picture = get_image_model().objects.create(
        title="Council crest", file=get_test_image_file()
    )
    account = ChannelAccount.objects.create(
        platform="facebook",
        display_name="Exampleshire CC",
        remote_id="page-1",
        picture=picture,
    )
    SocialSettings.for_site(site["home"].get_site()).default_accounts.set([account])

    html = render(make_policy(), "facebook", superuser).content.decode()

    url = picture.get_rendition(AVATAR_RENDITION).url
    assert url.startswith("/media/")
    assert f'<img class="avatar" src="{url}"' in html
