"""The editor's and comms manager's screens as Chromium draws them at 1280 px.

Each test signs a user in by session cookie, opens the screen on the live server
and reads what the browser computed (styles, ticks, labels), keeping a
screenshot in test-artifacts/. No worker is needed: nothing here is delivered.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from publishing.models import ChannelAccount, CrossPost
from tests.browser import ARTIFACTS, needs_chromium
from tests.publishing.conftest import EXPECT_MS

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def open_as(browser, live_server, client):
    """``open_as(user, path)``: a 1280 px tab signed in as ``user`` at ``path``,
    with the console errors and the URLs it requested collected as it goes."""

    def open_tab(user, path: str):
        client.force_login(user)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(EXPECT_MS)
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        tab = watched(context.new_page())
        tab.goto(live_server.url + path)
        return tab

    return open_tab


def watched(tab):
    """``tab`` collecting its console errors (a Content-Security-Policy
    violation is one) and every URL it requests."""
    tab.console_errors, tab.requested = [], []

    def on_console(message):
        if message.type == "error":
            tab.console_errors.append(message.text)

    tab.on("console", on_console)
    tab.on("request", lambda request: tab.requested.append(request.url))
    return tab


def computed(locator, prop: str) -> str:
    return locator.evaluate("(e, p) => getComputedStyle(e).getPropertyValue(p)", prop)


# Previews ---------------------------------------------------------------------------

# The platforms' own widths for a post at desktop size.
CARD_WIDTHS = {
    "facebook": "500px",
    "x": "598px",
    "youtube": "854px",
    "bluesky": "600px",
    "mastodon": "578px",
}
# Avatars are round, except Mastodon's rounded squares.
AVATAR_RADIUS = {"mastodon": "8px"}


def test_previews_are_styled_cards_at_the_platforms_widths(
    open_as, people, accounts, make_announcement, live_server
):
    from playwright.sync_api import expect

    page = make_announcement(with_video=True)
    edit = f"/admin/pages/{page.pk}/edit/"
    editor = open_as(people["superuser"], edit)
    # Opening the preview panel sends the form's values, as an editor's click does.
    editor.get_by_role("button", name="Toggle preview").click()
    panel = editor.frame_locator("#w-preview-iframe")
    expect(panel.locator("body")).to_contain_text(page.title)

    for platform, width in CARD_WIDTHS.items():
        tab = watched(editor.context.new_page())
        tab.goto(f"{live_server.url}{edit}preview/?mode={platform}")
        card = tab.locator("article.post")
        expect(card).to_be_visible()
        tab.screenshot(path=str(ARTIFACTS / f"preview-{platform}.png"), full_page=True)

        assert tab.console_errors == [], (platform, tab.console_errors)
        assert computed(card, "max-width") == width, platform
        box = card.bounding_box()
        assert box["width"] <= int(width[:-2]), (platform, box)
        avatar = card.locator("img.avatar")
        assert computed(avatar, "border-radius") == AVATAR_RADIUS.get(
            platform, "50%"
        ), platform
        assert avatar.evaluate("img => img.naturalWidth") > 0, platform
        text = card.locator("[data-post-text]")
        assert computed(text, "overflow-wrap") == "anywhere", platform
        # The link stays inside the card rather than running off it.
        link = text.locator("a[data-post-link]")
        link_box = link.bounding_box()
        assert link_box["x"] + link_box["width"] <= box["x"] + box["width"] + 1
        origin = urlsplit(live_server.url).netloc
        assert [u for u in tab.requested if urlsplit(u).netloc != origin] == []
        tab.close()

    facebook_background = "rgb(255, 255, 255)"
    tab = editor.context.new_page()
    tab.goto(f"{live_server.url}{edit}preview/?mode=facebook")
    assert computed(tab.locator("article.post"), "background-color") == (
        facebook_background
    )
    image = tab.locator("article.post img.post-image")
    assert image.get_attribute("alt") == page.hero_image_alt


# Accounts ---------------------------------------------------------------------------

# The number of lines a cell's text is drawn on, one client rect per line.
LINES = """cell => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size;
}"""


def test_five_accounts_fit_a_laptop_screen_names_whole(open_as, people, db):
    from playwright.sync_api import expect

    from sandbox.seed import DEMO_FB_SCOPES, DEMO_X_SCOPES, DEMO_YT_SCOPES

    for platform, name, scopes, status in [
        ("bluesky", "@exampleshire.bsky.social", ["com.atproto.appPass"], "connected"),
        ("facebook", "Exampleshire County Council", DEMO_FB_SCOPES, "connected"),
        ("mastodon", "@exampleshire", ["read", "write"], "connected"),
        ("x", "@ExampleshireCC", DEMO_X_SCOPES, "needs_reconnect"),
        ("youtube", "Exampleshire County Council videos", DEMO_YT_SCOPES, "connected"),
    ]:
        ChannelAccount.objects.create(
            platform=platform,
            display_name=name,
            remote_id=name,
            scopes=scopes,
            status=status,
            connected_by=people["comms"],
        )

    tab = open_as(people["comms"], "/admin/social/accounts/")

    results = tab.locator("#listing-results")
    tab.screenshot(path=str(ARTIFACTS / "accounts.png"), full_page=True)
    # Names are never broken mid-word.
    names = tab.locator("td.social-account-name .title-wrapper")
    assert names.count() == 5
    for index in range(5):
        name = names.nth(index)
        words = len(name.inner_text().split())
        assert name.evaluate(LINES) <= words, name.inner_text()
    # Every column is in view at 1280 px: nothing to scroll sideways to.
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth")
    # The connect buttons wrap into even rows, each at the left edge.
    lefts = tab.locator(".social-connect .button").evaluate_all(
        "buttons => buttons.map(b => Math.round(b.getBoundingClientRect().left))"
    )
    assert min(lefts) == tab.locator(".social-connect").evaluate(
        "row => Math.round(row.getBoundingClientRect().left)"
    )
    # What each token allows, in words, never as a scope's URL.
    shown = results.inner_text()
    assert "publish to the Page" in shown and "googleapis" not in shown
    # What each account can be asked to do is in its menu; an account whose
    # posts wait for a sign-in has Reconnect beside its name.
    tab.get_by_role("button", name="More options for Mastodon: @exampleshire").click()
    menu = tab.locator(".w-dropdown__content:visible").get_by_role("link")
    expect(menu).to_have_text(["Reconnect", "Picture", "Use", "Disconnect"])
    tab.keyboard.press("Escape")
    x_row = tab.locator("tr", has_text="@ExampleshireCC")
    assert x_row.get_by_role("link", name="Reconnect X: @ExampleshireCC").is_visible()
    tab.get_by_role("button", name="More options for X: @ExampleshireCC").click()
    expect(menu).to_have_text(["Picture", "Use", "Disconnect"])
    assert not tab.console_errors


def test_the_foi_record_fits_a_laptop_screen_titles_whole(open_as, people, db):
    from django.utils import timezone

    from tests.publishing.conftest import make_account, make_row

    title = "Household Waste Collection Policy"
    link = (
        "https://www.exampleshire.gov.uk/policies/household-waste-collection-policy/"
        "?utm_source={0}&utm_medium=social&utm_campaign=council-social"
    )
    for n, platform in enumerate(("bluesky", "facebook", "mastodon", "x", "youtube")):
        make_row(
            make_account(platform, f"{n}00000001", f"Exampleshire County Council {n}"),
            CrossPost.State.POSTED,
            title=title,
            text=f"{title}\n\nHow and when we collect bins. {link.format(platform)}",
            permalink=f"https://{platform}.example/exampleshirecountycouncil/posts/"
            f"{n}1803405060708090100",
            review_reason="The council's own published helpline number.",
            posted_at=timezone.now(),
        )

    tab = open_as(people["comms"], "/admin/social/foi/")

    tab.screenshot(path=str(ARTIFACTS / "foi.png"), full_page=True)
    titles = tab.locator("td.title .title-wrapper")
    assert titles.count() == 5
    for index in range(5):
        # Whole words: at most a line a word, never a letter or two a line.
        assert titles.nth(index).evaluate(LINES) <= len(title.split())
    # Every column is in view at 1280 px, "Taken down" the last of them.
    results = tab.locator("#listing-results")
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth")
    assert not tab.console_errors


def test_bluesky_connects_on_an_admin_form_that_never_shows_the_password(
    open_as, people, sandbox
):
    tab = open_as(people["comms"], "/admin/social/accounts/connect/bluesky/")
    tab.get_by_label("Handle or email").fill("exampleshire.bsky.social")
    tab.get_by_label("App password").fill("wrong-pass-word-here")

    tab.get_by_role("button", name="Sign in and connect").click()

    error = tab.get_by_role("alert")
    error.wait_for()
    assert "did not accept" in error.inner_text()
    password = tab.get_by_label("App password")
    assert password.get_attribute("type") == "password"
    assert password.input_value() == ""
    assert tab.get_by_label("Handle or email").input_value() == (
        "exampleshire.bsky.social"
    )
    # Wagtail's field styles, not the browser's defaults.
    assert computed(password, "border-top-left-radius") != "0px"
    assert tab.console_errors == []
    tab.screenshot(path=str(ARTIFACTS / "connect-bluesky.png"), full_page=True)


# Editing ----------------------------------------------------------------------------


def test_a_welsh_title_makes_a_slug_in_plain_letters_as_it_is_typed(
    open_as, people, site
):
    from playwright.sync_api import expect

    editor = open_as(
        people["editor"], f"/admin/pages/add/news/announcementpage/{site['news'].pk}/"
    )
    title = editor.locator("#id_title")
    title.fill("Gŵyl Dewi: Ŷ tŷ ar agor, café a’r ŵyl")
    title.blur()

    # Wagtail's own transliteration dropped ŵ and ŷ ("gyl-dewi").
    expect(editor.locator("#id_slug")).to_have_value(
        "gwyl-dewi-y-ty-ar-agor-cafe-ar-wyl"
    )


def test_editor_sees_usual_accounts_ticked_chooses_a_video_and_counts_characters(
    open_as, people, accounts, make_announcement
):
    from playwright.sync_api import expect

    page = make_announcement(youtube_title="Bin day changes")
    get_document_model().objects.create(
        title="Waste strategy", file=ContentFile(b"%PDF-1.4", name="strategy.pdf")
    )
    usual = {str(account.pk) for account in accounts.values()}

    editor = open_as(people["editor"], f"/admin/pages/{page.pk}/edit/#tab-social")
    boxes = editor.locator("input[name=social_accounts]")
    expect(boxes).to_have_count(3)

    def ticks():
        return {
            boxes.nth(i).get_attribute("value"): (
                boxes.nth(i).is_checked(),
                boxes.nth(i).is_disabled(),
            )
            for i in range(boxes.count())
        }

    assert ticks() == dict.fromkeys(usual, (True, True))
    boxes.first.scroll_into_view_if_needed()
    editor.screenshot(path=str(ARTIFACTS / "editor-usual-accounts.png"))

    editor.get_by_label("Post to the accounts I choose below").check()
    expect(boxes.first).to_be_enabled()
    facebook = editor.get_by_label("Facebook: Exampleshire CC")
    facebook.uncheck()
    editor.get_by_label("Do not post this page to social media").check()
    expect(boxes.first).to_be_disabled()
    assert {checked for checked, _disabled in ticks().values()} == {False}
    editor.get_by_label("Post to the council's usual accounts").check()
    assert ticks() == dict.fromkeys(usual, (True, True))
    editor.get_by_label("Post to the accounts I choose below").check()
    expect(facebook).not_to_be_checked()  # the editor's own choice comes back
    expect(facebook).to_be_enabled()

    video = editor.locator("#id_video-chooser")
    video.get_by_role("button", name="Actions").click()
    video.get_by_role("button", name="Choose another video").click()
    modal = editor.locator(".modal")
    expect(modal.get_by_role("link", name="Bin day video")).to_be_visible()
    expect(modal).not_to_contain_text("Waste strategy")
    editor.screenshot(path=str(ARTIFACTS / "editor-video-chooser.png"))
    modal.get_by_role("button", name="Close").click()

    title_counter = editor.locator(".social-counter[data-platform=youtube-title]")
    expect(title_counter.locator(".social-counter__count")).to_have_text(
        f"{len('Bin day changes')} / 100 characters"
    )
    expect(title_counter).to_contain_text("YouTube title: 100 characters.")
    youtube = editor.locator(".social-counter[data-platform=youtube]")
    expect(youtube.locator(".social-counter__count")).to_contain_text(
        "/ 5,000 characters"
    )
    assert editor.console_errors == []
