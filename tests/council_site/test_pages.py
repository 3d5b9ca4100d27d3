"""Page types: where each can live, what each allows below it, and that each renders."""

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import (
    inline_formset,
    nested_form_data,
    rich_text,
    streamfield,
)

from council_site.home.models import HomePage
from council_site.news.models import AnnouncementPage, NewsIndexPage
from council_site.policies.models import PolicyIndexPage, PolicyPage
from tests.factories import (
    AnnouncementPageFactory,
    DepartmentFactory,
    HomePageFactory,
    NewsIndexPageFactory,
    PolicyIndexPageFactory,
    PolicyPageFactory,
)


class PageTreeRulesTests(WagtailPageTestCase):
    def test_home_page_lives_under_the_root_and_holds_the_indexes(self):
        self.assertAllowedParentPageTypes(HomePage, {Page})
        self.assertAllowedSubpageTypes(HomePage, {PolicyIndexPage, NewsIndexPage})

    def test_policy_pages_live_only_under_the_policy_index(self):
        self.assertAllowedParentPageTypes(PolicyPage, {PolicyIndexPage})
        self.assertAllowedSubpageTypes(PolicyIndexPage, {PolicyPage})
        self.assertAllowedSubpageTypes(PolicyPage, set())

    def test_announcements_live_only_under_the_news_index(self):
        self.assertAllowedParentPageTypes(AnnouncementPage, {NewsIndexPage})
        self.assertAllowedSubpageTypes(NewsIndexPage, {AnnouncementPage})
        self.assertAllowedSubpageTypes(AnnouncementPage, set())

    def test_a_policy_cannot_be_created_under_the_news_index(self):
        self.assertCanNotCreateAt(NewsIndexPage, PolicyPage)
        self.assertCanNotCreateAt(HomePage, AnnouncementPage)


class PageCreationAndRenderingTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        root = Page.get_first_root_node()
        cls.home = HomePageFactory(parent=root, slug="council-home")
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={"hostname": "localhost", "root_page": cls.home, "port": 80},
        )
        cls.policies = PolicyIndexPageFactory(parent=cls.home, slug="policies")
        cls.news = NewsIndexPageFactory(parent=cls.home, slug="news")
        cls.department = DepartmentFactory(name="Waste and Recycling")

    def setUp(self):
        self.login()

    def test_each_page_type_is_routable_and_renders(self):
        policy = PolicyPageFactory(parent=self.policies, department=self.department)
        announcement = AnnouncementPageFactory(parent=self.news, urgent=True)
        for page in (self.home, self.policies, self.news, policy, announcement):
            with self.subTest(page=page):
                self.assertPageIsRoutable(page)
                self.assertPageIsRenderable(page)
        for page in (self.home, self.policies, self.news):
            self.assertPageIsPreviewable(page)
        self.assertPageIsPreviewable(
            policy,
            post_data=nested_form_data(
                {
                    "title": policy.title,
                    "slug": policy.slug,
                    "summary": policy.summary,
                    "department": self.department.pk,
                    "policy_status": "adopted",
                    "body": streamfield([]),
                    "related_documents": inline_formset([]),
                    "social_mode": "default",
                }
            ),
        )
        self.assertPageIsPreviewable(
            announcement,
            post_data=nested_form_data(
                {
                    "title": announcement.title,
                    "slug": announcement.slug,
                    "summary": announcement.summary,
                    "body": streamfield([]),
                    "social_mode": "default",
                    "youtube_privacy": "public",
                }
            ),
        )

    def test_policy_can_be_created_through_the_admin_form(self):
        self.assertCanCreate(
            self.policies,
            PolicyPage,
            nested_form_data(
                {
                    "title": "Parking Enforcement Policy",
                    "slug": "parking-enforcement",
                    "summary": "How we enforce parking rules.",
                    "department": self.department.pk,
                    "policy_status": "adopted",
                    "body": streamfield(
                        [("paragraph", rich_text("<p>Wardens patrol every day.</p>"))]
                    ),
                    "related_documents": inline_formset([]),
                    "social_mode": "default",
                }
            ),
        )

    def test_announcement_can_be_created_through_the_admin_form(self):
        self.assertCanCreate(
            self.news,
            AnnouncementPage,
            nested_form_data(
                {
                    "title": "Road closed",
                    "slug": "road-closed",
                    "summary": "High Street is closed on Sunday.",
                    "body": streamfield([]),
                    "social_mode": "default",
                    "youtube_privacy": "public",
                }
            ),
        )

    def test_index_pages_list_their_live_children(self):
        policy = PolicyPageFactory(parent=self.policies, department=self.department)
        announcement = AnnouncementPageFactory(parent=self.news)
        self.assertContains(self.client.get(self.policies.url), policy.title)
        self.assertContains(self.client.get(self.news.url), announcement.title)


@pytest.mark.django_db
def test_announcement_with_an_image_but_no_alt_text_is_refused(site_tree):
    from wagtail.images.models import Image
    from wagtail.images.tests.utils import get_test_image_file

    image = Image.objects.create(title="Bins", file=get_test_image_file())
    page = AnnouncementPage(
        title="Bins", summary="Bins out early.", hero_image=image, hero_image_alt=" "
    )
    with pytest.raises(ValidationError) as error:
        page.clean()
    assert "hero_image_alt" in error.value.message_dict


@pytest.mark.django_db
def test_policy_review_date_must_follow_the_effective_date(site_tree):
    from datetime import date

    page = PolicyPage(
        title="Backwards",
        summary="Dates the wrong way round.",
        effective_date=date(2026, 5, 1),
        next_review_date=date(2026, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        page.clean()
    assert "next_review_date" in error.value.message_dict
