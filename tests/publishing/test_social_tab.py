"""The page editor's Social tab: the live counter endpoint counts exactly as the
outbox composes, and the edit view lists the page's cross-posts."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents import get_document_model

from channels import registry
from channels.x_text import weighted_length
from publishing import content
from publishing.models import ChannelAccount, CrossPost, SocialSettings
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium

ENDPOINT = "publishing_social_preview"
State = CrossPost.State
FACEBOOK_WEB = settings.SOCIAL_CHANNELS["facebook"]["WEB_URL"]  # the sandbox's

TRICKY_X_TEXTS = [
    "Bins 🗑️ late: details https://example.org/a/really/long/path/that/goes/on?x=1",
    "収集日が変わります。詳しくはウェブサイトへ 👩‍👩‍👧‍👦",
    "Café naïve résumé, written with combining accents: e\u0301 a\u0300",
    "www.example.gov.uk and example.co.uk/path are links too #Bins @Council",
]


@pytest.fixture
def plain_accounts(site):
    """Accounts without tokens (nothing here talks to a platform), set as the
    site's defaults."""
    made = {
        platform: ChannelAccount.objects.create(
            platform=platform, display_name=name, remote_id=f"{platform}-1"
        )
        for platform, name in [
            ("facebook", "Exampleshire CC on Facebook"),
            ("x", "@ExampleshireCC"),
            ("youtube", "Exampleshire CC videos"),
        ]
    }
    SocialSettings.for_site(site["home"].get_site()).default_accounts.set(made.values())
    return made


@pytest.fixture
def editor_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("ed", password="x"))
    return client


def preview(client, page, **values):
    data = {"page_id": page.pk, "title": page.title, "summary": page.summary}
    data.update(values)
    response = client.post(reverse(ENDPOINT), data)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("text", TRICKY_X_TEXTS)
def test_x_count_is_the_weighted_length_of_exactly_what_is_sent(
    editor_client, make_policy, text
):
    page = make_policy()
    answer = preview(editor_client, page, social_text_x=text)["channels"]["x"]

    page.social_text_x = text
    sent = content.build_post(page, "x", content.social_settings_for(page)).text
    assert answer["text"] == sent
    assert answer["length"] == weighted_length(sent)
    assert answer["limit"] == 280
    assert answer["shortened"] is False


def test_an_empty_x_text_links_to_site_url_and_counts_the_link_as_23(
    editor_client, make_policy, settings
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    page = make_policy(title="Parking Policy")
    answer = preview(editor_client, page, social_text_x="")["channels"]["x"]

    text = answer["text"]
    link = re.search(r"http://127\.0\.0\.1:8000/policies/parking-policy/\S*", text)
    assert link, text
    assert answer["length"] == len(text) - len(link.group()) + 23
    assert answer["over_limit"] is False


def test_an_over_long_x_text_counts_over_the_limit_and_is_shortened(
    editor_client, make_policy
):
    page = make_policy()
    text = "東京都の収集日 " * 40
    answer = preview(editor_client, page, social_text_x=text)["channels"]["x"]
    assert answer["shortened"] is True
    assert answer["over_limit"] is True
    assert answer["length"] > 280
    assert weighted_length(answer["text"]) <= 280
    page.social_text_x = text
    assert (
        answer["text"]
        == content.build_post(page, "x", content.social_settings_for(page)).text
    )


def test_unsaved_title_and_summary_feed_the_template_text(editor_client, make_policy):
    page = make_policy()
    answer = preview(
        editor_client,
        page,
        title="Garden waste collections restart",
        summary="From 3 March, every other Tuesday.",
    )["channels"]
    facebook = answer["facebook"]["text"]
    assert facebook.startswith("Garden waste collections restart\n\n")
    assert "From 3 March, every other Tuesday." in facebook
    assert answer["facebook"]["length"] == len(facebook)
    # YouTube counts a description in bytes of UTF-8, and the counter says so
    # in characters: an accented letter counts as 2.
    assert answer["youtube"]["length"] == len(answer["youtube"]["text"].encode())
    assert "accented letters as 2 characters" in answer["youtube"]["rule"]


def test_each_counter_names_how_its_platform_counts(editor_client, make_announcement):
    page = make_announcement()
    channels = preview(editor_client, page, youtube_title="Bins: what goes where")[
        "channels"
    ]
    assert channels["x"]["rule"].startswith(
        "X allows 280 characters: it counts links as 23"
    )
    assert channels["facebook"]["rule"] == "Facebook allows 63,206 characters."
    assert channels["youtube"]["rule"].startswith("YouTube description: 5,000")
    assert "unit" not in channels["youtube"]
    assert channels["youtube"]["title"] == {
        "length": len("Bins: what goes where"),
        "limit": 100,
        "rule": "YouTube title: 100 characters.",
        "over_limit": False,
    }


def test_a_blank_youtube_title_counts_the_page_title_as_sent(
    editor_client, make_announcement
):
    page = make_announcement(title="Bin day " * 20)
    title = preview(editor_client, page, youtube_title="")["channels"]["youtube"][
        "title"
    ]
    assert title["length"] == 100 == len(page.social_video()["title"])


def test_findings_come_back_with_offsets_into_the_text(editor_client, make_policy):
    page = make_policy()
    channels = preview(
        editor_client,
        page,
        social_text_facebook="Call 020 7946 0018 or quote AB 12 34 56 C. EMBARGOED.",
    )["channels"]
    facebook = channels["facebook"]
    found = {f["rule"]: f for f in facebook["findings"]}
    assert set(found) == {"phone_number", "ni_number", "embargo"}
    for finding in found.values():
        start, end = finding["start"], finding["end"]
        assert facebook["text"][start:end] == finding["match"]
    assert found["phone_number"]["match"] == "020 7946 0018"
    assert channels["x"]["findings"] == []


def test_a_new_page_is_previewed_under_its_parent(editor_client, site):
    response = editor_client.post(
        reverse(ENDPOINT),
        {
            "parent_id": site["policies"].pk,
            "model": "policies.policypage",
            "title": "Fly-tipping policy",
            "slug": "fly-tipping",
            "summary": "How we deal with fly-tipping.",
            "department": site["department"].pk,
        },
    )
    assert response.status_code == 200
    x = response.json()["channels"]["x"]
    assert "/policies/fly-tipping/?utm_source=x" in x["text"]
    assert "#WasteAndRecycling" in x["text"]


def test_the_plan_names_the_accounts_and_skips_youtube_without_video(
    editor_client, make_policy, plain_accounts
):
    page = make_policy()
    plan = preview(editor_client, page, social_mode="default")["plan"]
    by_platform = {a["platform"]: a for a in plan["accounts"]}
    assert by_platform["facebook"]["sent"] is True
    assert by_platform["x"]["name"] == "@ExampleshireCC"
    assert by_platform["youtube"]["sent"] is False
    assert by_platform["youtube"]["note"] == "not sent: no video"

    chosen = preview(
        editor_client,
        page,
        social_mode="custom",
        social_accounts=[plain_accounts["x"].pk],
    )["plan"]
    assert [a["platform"] for a in chosen["accounts"]] == ["x"]
    assert preview(editor_client, page, social_mode="none")["plan"]["accounts"] == []


def account_boxes(html: str) -> dict[str, set[str]]:
    """The edit form's account checkboxes: value -> the attributes set on it."""
    boxes = {}
    for tag in re.findall(r'<input[^>]*name="social_accounts"[^>]*>', html):
        value = re.search(r'value="(\d+)"', tag).group(1)
        boxes[value] = set(re.findall(r"\s(checked|disabled|data-usual)\b", tag))
    return boxes


def test_usual_accounts_are_shown_ticked_and_fixed_on_load(
    editor_client, make_policy, plain_accounts
):
    other = ChannelAccount.objects.create(
        platform="x", display_name="@ExampleshireLibraries", remote_id="x-2"
    )
    page = make_policy(social_mode="default")
    page.social_accounts = [other]  # chosen once, but not what "usual" means
    page.save_revision()

    html = editor_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    boxes = account_boxes(html.content.decode())

    usual = {str(account.pk) for account in plain_accounts.values()}
    assert {v for v, attrs in boxes.items() if "checked" in attrs} == usual
    assert all("disabled" in attrs for attrs in boxes.values())
    assert {v for v, attrs in boxes.items() if "data-usual" in attrs} == usual


def test_chosen_accounts_stay_free_to_change(
    editor_client, make_policy, plain_accounts
):
    page = make_policy(social_mode="custom")
    page.social_accounts = [plain_accounts["x"]]
    page.save_revision()  # the editor opens the latest revision

    html = editor_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    boxes = account_boxes(html.content.decode())

    assert boxes[str(plain_accounts["x"].pk)] == {"checked", "data-usual"}
    assert boxes[str(plain_accounts["facebook"].pk)] == {"data-usual"}


def test_bad_requests_get_a_clear_answer(editor_client, make_policy, site):
    url = reverse(ENDPOINT)
    assert editor_client.get(url).status_code == 405
    missing = editor_client.post(url, {"page_id": "999999"})
    assert missing.status_code == 404
    assert missing.json() == {"error": "That page no longer exists."}
    assert editor_client.post(url, {}).json() == {"error": "No page was given."}
    wrong_type = editor_client.post(
        url, {"parent_id": site["home"].pk, "model": "home.homepage"}
    )
    assert wrong_type.status_code == 400
    assert "not posted to social media" in wrong_type.json()["error"]


def test_someone_who_cannot_edit_the_page_gets_nothing(
    client, django_user_model, make_policy
):
    reader = django_user_model.objects.create_user("reader", password="x")
    reader.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(reader)
    page = make_policy(summary="Secret draft")
    response = client.post(reverse(ENDPOINT), {"page_id": page.pk})
    assert response.status_code == 403
    assert "Secret draft" not in response.content.decode()


# The edit view ------------------------------------------------------------------------


def make_row(page, account, **fields):
    defaults = {
        "platform": account.platform,
        "idempotency_key": f"{page.pk}:1:{account.pk}",
        "page_title": page.title,
        "text": "Text",
        "link": "https://exampleshire.example/policies/x/",
        "marker": "https://exampleshire.example/policies/x/",
        "content_hash": "0" * 64,
    }
    defaults.update(fields)
    return CrossPost.objects.create(page_id=page.pk, account=account, **defaults)


def test_the_edit_view_lists_the_pages_cross_posts(
    editor_client, make_policy, plain_accounts
):
    page = make_policy()
    other = make_policy(title="Another policy")
    make_row(
        page,
        plain_accounts["facebook"],
        state=State.POSTED,
        attempts=1,
        remote_id="200_1",
        permalink=f"{FACEBOOK_WEB}/200/posts/1",
    )
    make_row(
        page,
        plain_accounts["x"],
        state=State.FAILED,
        attempts=3,
        last_error="You are not allowed to create a Tweet with duplicate content.",
        last_error_kind="rejected",
    )
    make_row(
        page,
        plain_accounts["youtube"],
        state=State.HELD,
        guard_findings=[
            {
                "rule": "email_address",
                "message": "This looks like an email address: a@b.gov.uk.",
                "match": "a@b.gov.uk",
                "start": 0,
                "end": 10,
            }
        ],
    )
    make_row(
        other,
        plain_accounts["facebook"],
        state=State.POSTED,
        permalink=f"{FACEBOOK_WEB}/200/posts/999",
    )

    response = editor_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    html = response.content.decode()

    assert response.status_code == 200
    assert f'href="{FACEBOOK_WEB}/200/posts/1"' in html
    assert "posts/999" not in html  # another page's post
    for chip in ("Facebook: Posted", "X: Failed", "YouTube: Held for approval"):
        assert f"{chip}</span>" in html
    assert "The platform refused the post: You are not allowed" in html
    assert "duplicate content." in html
    assert "This looks like an email address: a@b.gov.uk." in html
    assert "3 attempts" in html
    # The accounts this page goes to, and the counters' script.
    assert "not sent: no video" in html
    assert "publishing/js/social-counter.js" in html
    assert f'data-url="{reverse(ENDPOINT)}"' in html


@pytest.mark.parametrize(
    "permalink",
    [
        "javascript:alert(1)",
        "https://evil.example/200/posts/1",
        "http://www.facebook.com/1",
    ],
)
def test_a_permalink_off_the_platforms_hosts_is_not_a_link(
    editor_client, make_policy, plain_accounts, permalink
):
    page = make_policy()
    make_row(page, plain_accounts["facebook"], state=State.POSTED, permalink=permalink)

    response = editor_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))

    assert permalink not in response.content.decode()
    assert "View the post on Facebook" not in response.content.decode()


def test_a_post_taken_down_says_when_and_is_no_longer_a_link(
    editor_client, make_policy, plain_accounts
):
    """After an unpublish the post is gone from Facebook: a link to it would
    lead to the platform's "not found", so the tab says when it came down."""
    page = make_policy()
    permalink = f"{settings.SOCIAL_CHANNELS['facebook']['WEB_URL']}/200/posts/1"
    make_row(
        page, plain_accounts["facebook"], state=State.RETRACTED, permalink=permalink,
        remote_id="200_1", retracted_at=datetime(2026, 12, 4, 14, 5, tzinfo=UTC),
    )

    html = editor_client.get(
        reverse("wagtailadmin_pages:edit", args=[page.pk])
    ).content.decode()

    assert "View the post on Facebook" not in html and permalink not in html
    assert "Facebook: Retracted" in html
    assert (
        'Taken down <time datetime="2026-12-04T14:05:00+00:00">4 Dec 2026, 14:05'
    ) in html


def test_a_page_without_cross_posts_says_so(editor_client, make_policy):
    page = make_policy()
    response = editor_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert "This page has not been posted to social media yet." in (
        response.content.decode()
    )


def test_the_create_view_renders_the_social_tab(editor_client, site):
    url = reverse(
        "wagtailadmin_pages:add", args=["policies", "policypage", site["policies"].pk]
    )
    html = editor_client.get(url).content.decode()
    assert f'data-parent-id="{site["policies"].pk}"' in html
    assert 'data-model="policies.policypage"' in html


# In a browser ---------------------------------------------------------------------


@pytest.mark.browser
@needs_chromium
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_counter_updates_as_the_editor_types(live_server, client, make_policy):
    from django.contrib.auth import get_user_model
    from playwright.sync_api import expect, sync_playwright

    user = get_user_model().objects.create_superuser("typist", password="x")
    client.force_login(user)
    page = make_policy()
    session = client.cookies["sessionid"].value
    typed = "Bins 🗑️ 収集日 call 020 7946 0018"
    page.social_text_x = typed
    social = content.social_settings_for(page)
    expected = weighted_length(content.build_post(page, "x", social).text)
    # Bluesky's and Mastodon's texts have counters of their own too.
    typed_elsewhere = "Bins 🗑️ go out on Tuesday"
    page.social_text_bluesky = page.social_text_mastodon = typed_elsewhere
    counted = {
        platform: registry.get(platform).text_length(
            content.build_post(page, platform, social).text
        )
        for platform in ("bluesky", "mastodon")
    }
    # No database access below: Playwright's sync API runs an event loop.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        context = browser.new_context()
        context.add_cookies(
            [{"name": "sessionid", "value": session, "url": live_server.url}]
        )
        tab = context.new_page()
        tab.goto(f"{live_server.url}/admin/pages/{page.pk}/edit/#tab-social")
        counter = tab.locator(".social-counter[data-platform=x] .social-counter__count")
        tab.fill("textarea[name=social_text_x]", typed)
        expect(counter).to_have_text(f"{expected} / 280 characters")
        rules = tab.locator(".social-counter .social-counter__rule")
        expect(rules.nth(1)).to_have_text(
            "X allows 280 characters: it counts links as 23, and emoji and "
            "Chinese, Japanese or Korean characters as 2."
        )
        expect(
            tab.locator(".social-counter[data-platform=youtube]")
        ).not_to_contain_text("bytes")
        mark = tab.locator(".social-counter[data-platform=x] mark")
        expect(mark).to_have_text("020 7946 0018")
        for platform, limit in [("bluesky", 300), ("mastodon", 500)]:
            tab.fill(f"textarea[name=social_text_{platform}]", typed_elsewhere)
            expect(
                tab.locator(
                    f".social-counter[data-platform={platform}] .social-counter__count"
                )
            ).to_have_text(f"{counted[platform]} / {limit} characters")
        browser.close()


def test_the_video_chooser_offers_videos_only(editor_client, make_announcement):
    page = make_announcement()  # its video is bins.mp4
    Document = get_document_model()
    Document.objects.create(
        title="Waste strategy", file=ContentFile(b"%PDF-1.4", name="strategy.pdf")
    )
    Document.objects.create(
        title="Recycling advert", file=ContentFile(b"video", name="advert.WEBM")
    )

    edit = editor_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    chooser = editor_client.get(reverse("publishing_video_chooser:choose"))

    assert "Choose another video" in edit.content.decode()
    listed = chooser.json()["html"]
    assert "Bin day video" in listed and "Recycling advert" in listed
    assert "Waste strategy" not in listed
