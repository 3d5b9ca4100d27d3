"""The public pages: cross-post links, click-to-play video, feeds block, security
headers, caching that follows publishing, bounded queries, feeds and errors."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from wagtail.blocks import StreamValue
from wagtail.documents import get_document_model
from wagtail.models import PageViewRestriction

from council_site.core import views as core_views
from council_site.core.cache import forget_fragments
from council_site.news.models import AnnouncementPage
from council_site.policies.models import PolicyDocument
from publishing.models import ChannelAccount, CrossPost, SocialFeed
from tests.public.conftest import page_html, publish, record_crosspost

pytestmark = pytest.mark.django_db
SANDBOX_WEB = f"http://{settings.SANDBOX_HOSTS[0]}"

# Inline code, that is: JSON data blocks (the userbar's settings) never run.
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\s(?:src=|type=\"application/json\"))[^>]*>", re.IGNORECASE
)


def test_policy_shows_also_on_links_once_a_crosspost_is_recorded(
    client, accounts, make_policy
):
    policy = make_policy()
    publish(policy)
    assert "Also on" not in page_html(client, policy.url)  # cached from here on

    permalink = f"{accounts['x'].pk}-status-link"
    x_web = settings.SOCIAL_CHANNELS["x"]["WEB_URL"]  # the sandbox's
    record_crosspost(policy, accounts["x"], "1901", f"{x_web}/e/status/{permalink}")
    html = page_html(client, policy.url)

    assert "Also on X" in html
    assert permalink in html

    CrossPost.objects.filter(page_id=policy.pk).update(state=CrossPost.State.RETRACTED)
    # A queryset update sends no signal; saving a row does, as the worker does.
    row = CrossPost.objects.get(page_id=policy.pk, account=accounts["x"])
    row.save()
    assert "Also on X" not in page_html(client, policy.url)


def test_also_on_links_list_the_channels_in_one_order(client, accounts, make_policy):
    policy = make_policy()
    publish(policy)
    # Recorded as the posts went out: YouTube first, Facebook last.
    for number, platform in enumerate(("youtube", "x", "facebook")):
        web = settings.SOCIAL_CHANNELS[platform]["WEB_URL"]
        record_crosspost(
            policy, accounts[platform], f"19{number}", f"{web}/e/posts/19{number}"
        )

    html = page_html(client, policy.url)

    shown = re.findall(r'rel="noopener">Also on (\w+)<', html)
    assert shown == ["Facebook", "X", "YouTube"]


@pytest.mark.parametrize(
    "permalink",
    ["javascript:alert(1)", "https://evil.example/status/1", "http://x.com/e/status/1"],
)
def test_a_permalink_off_the_platforms_hosts_is_not_linked(
    client, accounts, make_policy, permalink
):
    policy = make_policy()
    publish(policy)
    record_crosspost(policy, accounts["x"], "1901", permalink)

    html = page_html(client, policy.url)

    assert permalink not in html
    assert "Also on X" not in html


def test_republishing_a_page_refreshes_its_cached_fragments(client, make_policy):
    policy = make_policy(summary="The first summary.")
    publish(policy)
    home_before = page_html(client, "/")
    assert policy.title not in home_before  # not featured yet

    policy.featured = True
    publish(policy)

    assert policy.title in page_html(client, "/")


def test_announcement_video_is_a_poster_and_a_button_until_played(
    client, accounts, make_announcement, settings
):
    page = make_announcement()
    publish(page)
    record_crosspost(
        page,
        accounts["youtube"],
        "vid-00001",
        f"{settings.SOCIAL_CHANNELS['youtube']['WEB_URL']}/watch?v=vid-00001",
    )

    html = page_html(client, page.url)

    sandbox_watch = f"{settings.SOCIAL_CHANNELS['youtube']['WEB_URL']}/watch?v="
    assert f'data-player-url="{sandbox_watch}vid-00001"' in html
    assert "data-video-play" in html
    assert "<iframe" not in html
    poster = re.search(r'class="video__poster">\s*<img src="([^"]+)"', html)
    assert poster and poster.group(1).startswith("/media/")
    assert 'src="/static/public/video.js"' in html
    assert "Also on YouTube" in html


def test_real_youtube_plays_from_the_nocookie_player(
    client, accounts, make_announcement, settings
):
    settings.SOCIAL_CHANNELS = {
        **settings.SOCIAL_CHANNELS,
        "youtube": {
            **settings.SOCIAL_CHANNELS["youtube"],
            "WEB_URL": "https://www.youtube.com",
            "LINK_HOSTS": ["www.youtube.com"],
        },
    }
    page = make_announcement()
    publish(page)
    record_crosspost(
        page, accounts["youtube"], "abcDEF12345", "https://www.youtube.com/watch?v=a"
    )

    response = client.get(page.url)

    html = response.content.decode()
    assert 'data-player-url="https://www.youtube-nocookie.com/embed/abcDEF12345' in html
    policy_header = response["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com" in policy_header


def test_public_pages_have_a_strict_policy_and_no_inline_script(
    client, accounts, filled_feeds, make_announcement, make_policy, site
):
    announcement, policy = make_announcement(), make_policy()
    publish(announcement)
    publish(policy)
    for url in (
        "/",
        announcement.url,
        policy.url,
        site["news"].url,
        "/search/?q=bins",
    ):
        response = client.get(url)
        policy_header = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy_header
        assert "unsafe-inline" not in policy_header
        assert "default-src 'self'" in policy_header
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert INLINE_SCRIPT.findall(response.content.decode()) == [], url
    not_found = client.get("/no-such-page/")
    assert not_found.status_code == 404
    assert "Content-Security-Policy" in not_found


def test_the_admin_has_a_policy_of_its_own_that_loads_nothing_from_elsewhere(
    client, django_user_model, site, make_policy
):
    admin = django_user_model.objects.create_superuser("boss", "b@example.com", "pw")
    client.force_login(admin)
    page = make_policy()

    for url in (
        "/admin/",
        f"/admin/pages/{page.pk}/edit/",
        f"/admin/pages/{page.pk}/edit/preview/",
        "/admin/social/posts/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = dict(
            directive.strip().split(" ", 1)
            for directive in response["Content-Security-Policy"].split(";")
        )
        assert policy["default-src"] == "'self'"
        # Wagtail's own templates have inline scripts and style attributes.
        assert policy["script-src"] == "'self' 'unsafe-inline'"
        assert "unsafe-eval" not in response["Content-Security-Policy"]
        assert policy["object-src"] == "'none'"
        assert policy["frame-ancestors"] == "'self'"
        assert "gravatar" not in response.content.decode()


def test_wagtail_userbar_loads_only_same_origin_scripts(
    client, django_user_model, site
):
    admin = django_user_model.objects.create_superuser("boss", "b@example.com", "pw")
    client.force_login(admin)

    html = page_html(client, "/")

    assert "wagtail-userbar" in html
    sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    assert sources and all(s.startswith(("/", "http://testserver/")) for s in sources)
    assert INLINE_SCRIPT.findall(html) == []


def _accounts(count: int, start: int = 0) -> list[ChannelAccount]:
    return [
        ChannelAccount.objects.create(
            platform=("facebook", "x", "youtube")[n % 3],
            display_name=f"Account {n}",
            remote_id=f"acct-{n}",
            extra={"username": f"acct{n}"},
        )
        for n in range(start, start + count)
    ]


def _feed_items(count: int) -> list[dict]:
    return [
        {
            "id": str(n),
            "title": "",
            "text": f"Post number {n} about bins",
            "permalink": f"https://example.org/p/{n}",
            "created_at": f"2026-01-0{1 + n % 9}T10:00:00+00:00",
            "media": [{"src": f"/media/feeds/{n}.png", "alt": "Bin", "kind": "image"}],
        }
        for n in range(count)
    ]


#: The most queries any public page view may take, whether its fragments are
#: cached (as nearly every visitor gets it) or rebuilt (the first view after a
#: publish): the site lookup, routing and the page's own fields, its lists, the
#: feeds (one query for all), cross-posts (one query) and the footer's accounts.
MAX_QUERIES = 12


def cold_queries(client, url, django_assert_max_num_queries) -> tuple[int, str]:
    """Queries of a view right after a publish: the fragments are rebuilt (but
    image renditions, made once per image ever, already exist)."""
    page_html(client, url)
    forget_fragments()
    with django_assert_max_num_queries(MAX_QUERIES) as captured:
        html = page_html(client, url)
    return len(captured), html


def warm_queries(client, url, django_assert_max_num_queries) -> int:
    with django_assert_max_num_queries(MAX_QUERIES) as captured:
        page_html(client, url)
    return len(captured)


def test_home_page_queries_are_bounded_and_do_not_grow_with_feeds(
    client, site, make_announcement, django_assert_max_num_queries
):
    publish(make_announcement(with_video=False))
    cold = {}
    for count in (3, 30):
        SocialFeed.objects.all().delete()
        for account in _accounts(count, start=len(cold) * 100):
            SocialFeed.objects.create(account=account, items=_feed_items(count))
        cold[count], html = cold_queries(client, "/", django_assert_max_num_queries)
        assert html.count('class="feed-item"') == count * 3  # three posts a feed
        warm_queries(client, "/", django_assert_max_num_queries)

    assert cold[3] == cold[30]


def test_announcement_queries_are_bounded_and_do_not_grow_with_crossposts(
    client, site, make_announcement, django_assert_max_num_queries
):
    cold = {}
    for count in (3, 30):
        page = make_announcement(title=f"Announcement with {count} posts")
        publish(page)
        for n, account in enumerate(_accounts(count, start=len(cold) * 100)):
            record_crosspost(page, account, f"r{n}", f"{SANDBOX_WEB}/p/{n}")
        cold[count], html = cold_queries(
            client, page.url, django_assert_max_num_queries
        )
        assert html.count('rel="noopener">Also on ') == count
        warm_queries(client, page.url, django_assert_max_num_queries)

    assert cold[3] == cold[30]


def _documents(count: int, start: int) -> list[PolicyDocument]:
    return [
        PolicyDocument(
            document=get_document_model().objects.create(
                title=f"Impact assessment {n}",
                file=ContentFile(b"%PDF-1.4 assessment", name=f"assessment-{n}.pdf"),
            )
        )
        for n in range(start, start + count)
    ]


def test_policy_queries_are_bounded_and_do_not_grow_with_documents_or_feeds(
    client, site, make_policy, django_assert_max_num_queries
):
    """A policy with a feed block, related documents and cross-posts: the
    documents come with their files, and the feed block's chosen accounts are
    not looked up again on each view."""
    cold = {}
    for count in (1, 8):
        accounts = _accounts(count, start=len(cold) * 100)
        for account in accounts:
            SocialFeed.objects.create(account=account, items=_feed_items(3))
        policy = make_policy(title=f"Policy with {count} documents")
        policy.body = StreamValue(
            policy.body.stream_block,
            [
                (
                    "social_feed",
                    {
                        "heading": "Our feeds",
                        "accounts": [str(account.pk) for account in accounts],
                        "count": 2,
                    },
                )
            ],
        )
        policy.related_documents = _documents(count, start=len(cold) * 100)
        publish(policy)
        for n, account in enumerate(accounts):
            record_crosspost(policy, account, f"r{n}", f"{SANDBOX_WEB}/p/{n}")

        cold[count], html = cold_queries(
            client, policy.url, django_assert_max_num_queries
        )
        assert html.count('class="feed-item"') == count * 2
        assert html.count("Impact assessment") == count
        assert html.count('rel="noopener">Also on ') == count
        warm_queries(client, policy.url, django_assert_max_num_queries)

    assert cold[1] == cold[8]


def test_lists_and_search_queries_are_bounded_and_do_not_grow_with_pages(
    client, site, make_announcement, make_policy, django_assert_max_num_queries
):
    counts = {}
    for total in (2, 8):
        while len(counts.get("made", [])) < total:
            n = len(counts.setdefault("made", []))
            publish(make_announcement(title=f"Bins news {n}", with_video=False))
            publish(make_policy(title=f"Bins policy {n}", featured=True))
            counts["made"].append(n)
        for url, shown in (
            ("/", min(total, 4)),  # the four latest announcements
            (site["news"].url, total),
            (site["policies"].url, total),
            ("/search/?q=bins", min(total * 2, 10)),  # ten results a page
        ):
            queries, html = cold_queries(client, url, django_assert_max_num_queries)
            assert html.count("Bins news") + html.count("Bins policy") >= shown, url
            counts[(url, total)] = queries
            warm_queries(client, url, django_assert_max_num_queries)

    for url in ("/", site["news"].url, site["policies"].url, "/search/?q=bins"):
        assert counts[(url, 2)] == counts[(url, 8)], url


def test_breadcrumbs_lead_back_through_the_section(client, site, make_policy):
    policy = make_policy()
    publish(policy)

    html = page_html(client, policy.url)
    trail = html.split('class="breadcrumbs"')[1].split("</nav>")[0]

    assert re.findall(r'<a href="([^"]+)">', trail) == ["/", site["policies"].url]
    assert f'aria-current="page">{policy.title}<' in trail


def test_a_private_page_asks_for_login_or_password_and_stays_out_of_lists(
    client, site, make_announcement
):
    for title in ("Open news", "Staff car park", "Embargoed budget"):
        publish(make_announcement(title=title, with_video=False))
    home_before = page_html(client, "/")  # the lists are cached from here on
    assert "Staff car park" in home_before
    staff = AnnouncementPage.objects.get(title="Staff car park")
    embargoed = AnnouncementPage.objects.get(title="Embargoed budget")

    PageViewRestriction.objects.create(
        page=staff, restriction_type=PageViewRestriction.LOGIN
    )
    PageViewRestriction.objects.create(
        page=embargoed,
        restriction_type=PageViewRestriction.PASSWORD,
        password="budget-2026",
    )

    login = client.get(staff.url)
    assert login.status_code == 302
    assert "/_util/login/" in login["Location"]
    password = client.get(embargoed.url)
    assert password.status_code == 200
    assert 'name="password"' in password.content.decode()
    assert "Embargoed budget" not in password.content.decode()
    for url in ("/", site["news"].url, "/search/?q=news"):
        html = page_html(client, url)
        assert "Open news" in html, url
        assert "Staff car park" not in html, url
        assert "Embargoed budget" not in html, url


def test_a_private_section_covers_its_pages_and_lets_its_group_in(
    client, django_user_model, site, make_policy
):
    policy = make_policy(title="Internal Audit Policy", featured=True)
    publish(policy)
    staff = Group.objects.create(name="Council staff")
    restriction = PageViewRestriction.objects.create(
        page=site["policies"], restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.set([staff])

    for url in (policy.url, site["policies"].url):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/_util/login/" in response["Location"]
    assert "Internal Audit Policy" not in page_html(client, "/")

    member = django_user_model.objects.create_user("officer", password="x")
    member.groups.add(staff)
    client.force_login(member)
    assert "Internal Audit Policy" in page_html(client, policy.url)


def test_an_alias_of_a_private_page_is_private_too(client, site, make_announcement):
    source = make_announcement(title="Staff only", with_video=False)
    publish(source)
    alias = source.create_alias(update_slug="staff-only-copy")
    # Made private after the alias exists: the alias has no restriction of its
    # own and follows its source page's, as Wagtail's own check does.
    PageViewRestriction.objects.create(
        page=source, restriction_type=PageViewRestriction.LOGIN
    )
    assert not alias.view_restrictions.exists()

    response = client.get(alias.url)

    assert alias.url.endswith("/staff-only-copy/")
    assert response.status_code == 302
    assert "/_util/login/" in response["Location"]
    assert "Staff only" not in page_html(client, site["news"].url)


def test_editors_can_place_a_feed_of_chosen_accounts_on_a_page(
    client, accounts, filled_feeds, make_policy
):
    policy = make_policy()
    policy.body = StreamValue(
        policy.body.stream_block,
        [
            (
                "social_feed",
                {
                    "heading": "Roadworks on X",
                    "accounts": [str(accounts["x"].pk)],
                    "count": 2,
                },
            )
        ],
    )
    publish(policy)

    html = page_html(client, policy.url)

    assert "Roadworks on X" in html
    assert html.count('class="feed-item"') == 2
    assert "@ExampleshireCC on X" in html
    assert "on Facebook" not in html.split('class="site-footer"')[0]


def test_footer_links_to_each_connected_accounts_public_page(client, accounts, site):
    accounts["facebook"].status = ChannelAccount.Status.DISCONNECTED
    accounts["facebook"].save()

    html = page_html(client, "/")
    footer = html.split('class="site-footer"')[1]

    youtube = accounts["youtube"]
    assert f"/youtube/web/channel/{youtube.remote_id}" in footer
    assert "/x/web/ExampleshireCC" in footer
    assert "/facebook/web/" not in footer


def test_search_lists_matching_pages(client, make_policy):
    publish(make_policy(title="Garden Waste Policy"))
    publish(make_policy(title="Library Strategy"))

    html = page_html(client, "/search/?q=garden")

    assert "Garden Waste Policy" in html
    assert "Library Strategy" not in html
    assert "1 result for" in html


def test_search_results_say_what_each_page_is_and_its_date(
    client, make_policy, make_announcement
):
    policy = make_policy(title="Garden Waste Policy")
    publish(policy)
    news = make_announcement(title="Garden waste restarts", with_video=False)
    publish(news)

    html = page_html(client, "/search/?q=garden")
    metas = dict(
        re.findall(r'<h2><a href="([^"]+)">.*?<p class="meta">(.*?)</p>', html, re.S)
    )

    published = timezone.localtime(news.first_published_at)
    assert metas[news.url] == (
        f'Announcement. Published <time datetime="{published.isoformat()}">'
        f"{published.day} {published:%B %Y}</time>"
    )
    assert metas[policy.url].startswith("Policy. Updated <time datetime=")
    assert "Policy page" not in html and "Announcement page" not in html


def test_atom_feed_lists_announcements_newest_first(client, make_announcement):
    for title in ("Older news", "Newer news"):
        publish(make_announcement(title=title, with_video=False))

    response = client.get("/news.atom")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    atom = "{http://www.w3.org/2005/Atom}"
    entries = ET.fromstring(response.content).findall(f"{atom}entry")  # noqa: S314
    titles = [entry.findtext(f"{atom}title") for entry in entries]
    assert titles == ["Newer news", "Older news"]
    assert entries[0].find(f"{atom}link").get("href").endswith("/news/newer-news/")


def test_sitemap_and_robots(client, make_policy):
    policy = make_policy()
    publish(policy)

    sitemap = client.get("/sitemap.xml").content.decode()
    robots = client.get("/robots.txt").content.decode()

    assert policy.url in sitemap
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in robots


def test_not_found_page_is_friendly_and_offers_search(client, site):
    response = client.get("/nothing-here/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'action="/search/"' in html


@pytest.mark.django_db(databases=[])
def test_server_error_page_renders_without_the_database(rf):
    # With no database allowed, any query would raise and fail this test.
    response = core_views.server_error(rf.get("/"))

    assert response.status_code == 500
    html = response.content.decode()
    assert "Sorry, there is a problem with the service" in html
    assert "Exampleshire County Council" in html


def test_a_welsh_title_makes_an_address_in_plain_letters(admin_client, site):
    from publishing import content

    page = AnnouncementPage(
        title="Gŵyl Dewi: swyddfeydd ar gau’n gynnar", summary="Offices close early."
    )
    site["news"].add_child(instance=page)  # Wagtail makes the slug from the title
    form = admin_client.get(
        f"/admin/pages/add/news/announcementpage/{site['news'].pk}/"
    )

    assert page.slug == "gwyl-dewi-swyddfeydd-ar-gaun-gynnar"
    assert content.canonical_url(page).endswith(
        "/news/gwyl-dewi-swyddfeydd-ar-gaun-gynnar/"
    )
    # The editor's slug field makes plain letters too as the title is typed
    # (Wagtail leaves its allow-unicode attribute out when it is off).
    html = form.content.decode()
    assert 'data-controller="w-slug"' in html
    assert "data-w-slug-allow-unicode-value" not in html
