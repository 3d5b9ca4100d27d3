"""The public site in a real browser (Debian's Chromium through Playwright):
axe-core finds no WCAG 2.2 AA violation, a page view requests nothing from
another origin, and the skip link and navigation work from the keyboard."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from publishing import dispatch
from tests.browser import ARTIFACTS, ROOT, chromium, needs_chromium
from tests.public.conftest import publish, record_crosspost

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": 1280, "mobile": 375}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
    pytest.mark.skipif(
        not AXE.exists(), reason="axe-core is not installed (make test runs npm ci)"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser(monkeypatch):
    with chromium(monkeypatch) as launched:
        yield launched


@pytest.fixture
def public_site(
    site, accounts, filled_feeds, make_announcement, make_policy, monkeypatch
):
    """A home page with three feeds, a policy and an announcement with a video.

    The links are recorded here, not delivered: the session's Celery worker may
    be running (an earlier integration test started it), and a real delivery
    landing after the recorded link would replace it.
    """
    monkeypatch.setattr(dispatch, "enqueue", lambda rows: None)
    for index in (site["news"], site["policies"]):
        index.show_in_menus = True
        index.save()
    policy = make_policy(featured=True)
    publish(policy)
    announcement = make_announcement(urgent=True)
    publish(announcement)
    youtube = accounts["youtube"]
    record_crosspost(
        announcement, youtube, "vid-browser1", f"{_web('youtube')}/watch?v=vid-browser1"
    )
    record_crosspost(
        policy, accounts["x"], "1700", f"{_web('x')}/ExampleshireCC/status/1700"
    )
    return {
        "home": "/",
        "policy": policy.url,
        "announcement": announcement.url,
        "index": site["news"].url,
        "policies": site["policies"].url,
        "search": "/search/?q=waste",
        "not_found": "/no-such-page/",
    }


def _web(platform: str) -> str:
    from django.conf import settings

    return settings.SOCIAL_CHANNELS[platform]["WEB_URL"]


def open_page(browser, live_server, path: str, width: int):
    """A fresh page at ``path``; returns it with every URL it requested. The
    page's ``broken`` lists what it loaded (not itself) that did not answer
    200, the icon a browser asks for on its own included."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    requested: list[str] = []
    page.broken = []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "response",
        lambda response: (
            page.broken.append(response.url)
            if response.status >= 400 and response.request.resource_type != "document"
            else None
        ),
    )
    page.goto(live_server.url + path, wait_until="networkidle")
    return page, requested


def axe_violations(page) -> list[dict]:
    # Evaluated through the DevTools protocol: the page's own policy forbids
    # inline script, and it stays on while axe runs.
    page.evaluate(AXE.read_text())
    return page.evaluate(
        "async (tags) => (await axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}})).violations",
        WCAG_TAGS,
    )


def unlabelled_controls(page) -> list[str]:
    """The form controls on the page without a label people can see."""
    return page.eval_on_selector_all(
        "input:not([type=hidden]), select, textarea",
        """controls => controls
            .filter(control => !Array.from(control.labels).some(
                label => label.offsetWidth > 1 && label.offsetHeight > 1))
            .map(control => control.id || control.name)""",
    )


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in violations
    )


def test_pages_have_no_accessibility_violations_and_stay_on_our_origin(
    browser, live_server, public_site
):
    origin = urlsplit(live_server.url).netloc
    problems = {}
    for name in ("home", "policy", "announcement", "index", "search", "not_found"):
        for label, width in WIDTHS.items():
            page, requested = open_page(browser, live_server, public_site[name], width)
            foreign = [url for url in requested if urlsplit(url).netloc != origin]
            assert foreign == [], (name, foreign)
            assert page.broken == [], (name, page.broken)
            # The site's own icon, rather than the /favicon.ico a browser
            # would otherwise ask for and not find.
            icon = page.locator("link[rel=icon]").get_attribute("href")
            assert page.request.get(live_server.url + icon).ok, (name, icon)
            assert unlabelled_controls(page) == [], (name, label)
            violations = axe_violations(page)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
            if violations:
                problems[f"{name} at {width}px"] = describe(violations)
            page.context.close()
    assert problems == {}


def test_home_page_shows_three_feeds_with_pictures_from_our_side(
    browser, live_server, public_site
):
    page, _ = open_page(browser, live_server, "/", 1280)

    feeds = page.locator(".feed")
    assert feeds.count() == 3
    sources = page.eval_on_selector_all(
        ".feed-item__image", "images => images.map(image => image.src)"
    )
    ours = live_server.url + "/media/"
    assert sources and all(src.startswith(ours) for src in sources)
    page.context.close()


def test_skip_link_and_navigation_work_from_the_keyboard(
    browser, live_server, public_site
):
    page, _ = open_page(browser, live_server, public_site["policy"], 1280)

    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to main content"
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"

    page.goto(live_server.url + public_site["policy"])
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "News":
            break
    else:
        pytest.fail("the News link in the main navigation was not reachable by Tab")
    assert page.evaluate("!!document.activeElement.closest('nav.site-nav')")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + public_site["index"])
    assert page.locator("h1").inner_text() == "News"
    page.context.close()


def test_video_player_loads_only_after_the_visitor_presses_play(
    browser, live_server, public_site
):
    page, requested = open_page(browser, live_server, public_site["announcement"], 1280)
    assert page.locator("iframe").count() == 0
    sandbox = urlsplit(_web("youtube")).netloc
    assert not [url for url in requested if urlsplit(url).netloc == sandbox]

    page.locator("[data-video-play]").focus()
    page.keyboard.press("Enter")

    frame = page.locator("iframe.video__frame")
    frame.wait_for()
    assert frame.get_attribute("src") == f"{_web('youtube')}/watch?v=vid-browser1"
    assert frame.get_attribute("title").startswith("Video: ")
    page.context.close()


def test_urgent_notice_is_a_banner_at_the_top_of_other_pages(
    browser, live_server, public_site
):
    for name in ("home", "policy"):
        for label, width in WIDTHS.items():
            page, _ = open_page(browser, live_server, public_site[name], width)
            shown = page.locator("main [data-urgent-banner]")
            assert shown.is_visible(), (name, label)
            first = page.evaluate(
                "document.querySelector('main').firstElementChild.hasAttribute("
                "'data-urgent-banner')"
            )
            assert first, (name, label)  # the first thing in the main content
            link = shown.get_by_role("link")
            assert link.get_attribute("href") == public_site["announcement"]
            # Each notice is a heading under the banner's title, not a bold
            # paragraph: Wagtail's accessibility checker, in the editor's
            # preview, flagged those as paragraphs misused as headings.
            notice = shown.get_by_role("heading", level=3).get_by_role("link")
            assert notice.get_attribute("href") == public_site["announcement"]
            page.screenshot(
                path=str(ARTIFACTS / f"urgent-banner-{name}-{label}.png"),
                full_page=True,
            )
            page.context.close()


#: How tall the home page may be on a 375 px phone with three feeds (it was
#: about 7,000 px with every feed shown in full).
HOME_HEIGHT_BUDGET = 3500


def test_home_page_feeds_are_one_accordion_on_a_small_screen(
    browser, live_server, public_site
):
    page, _ = open_page(browser, live_server, "/", WIDTHS["mobile"])
    feeds = page.locator("details.feed")
    assert feeds.count() == 3
    height = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(ARTIFACTS / "home-feeds-mobile.png"), full_page=True)
    assert height <= HOME_HEIGHT_BUDGET, height

    assert [feeds.nth(n).get_attribute("open") is not None for n in range(3)] == [
        True,
        False,
        False,
    ]
    second = feeds.nth(1)
    assert not second.locator(".feed__items").is_visible()
    second.locator("summary").focus()
    page.keyboard.press("Enter")
    assert second.locator(".feed__items").is_visible()
    page.screenshot(path=str(ARTIFACTS / "home-feeds-mobile-second-open.png"))
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    page.context.close()


def test_home_page_feeds_are_side_by_side_on_a_wide_screen(
    browser, live_server, public_site
):
    page, _ = open_page(browser, live_server, "/", WIDTHS["desktop"])
    items = page.locator("details.feed .feed__items")
    assert items.count() == 3
    assert all(items.nth(n).is_visible() for n in range(3))
    feeds = page.locator("details.feed")
    tops = {round(feeds.nth(n).bounding_box()["y"]) for n in range(3)}
    assert len(tops) == 1  # one row
    page.screenshot(path=str(ARTIFACTS / "home-feeds-desktop.png"), full_page=True)
    feeds.nth(1).locator("summary").click(force=True)
    assert items.nth(1).is_visible()  # a heading does not fold its feed here
    page.context.close()
