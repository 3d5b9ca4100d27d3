"""Factories for the site's pages and snippets (wagtail-factories)."""

import factory
import wagtail_factories

from council_site.core.models import Department
from council_site.home.models import HomePage
from council_site.news.models import AnnouncementPage, NewsIndexPage
from council_site.policies.models import PolicyIndexPage, PolicyPage


class DepartmentFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Department {n}")

    class Meta:
        model = Department
        django_get_or_create = ("name",)


class HomePageFactory(wagtail_factories.PageFactory):
    title = "Exampleshire County Council"

    class Meta:
        model = HomePage


class PolicyIndexPageFactory(wagtail_factories.PageFactory):
    title = "Policies"

    class Meta:
        model = PolicyIndexPage


class PolicyPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Policy {n}")
    summary = "What the policy does, in plain English."
    department = factory.SubFactory(DepartmentFactory)

    class Meta:
        model = PolicyPage


class NewsIndexPageFactory(wagtail_factories.PageFactory):
    title = "News"

    class Meta:
        model = NewsIndexPage


class AnnouncementPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Announcement {n}")
    summary = "Something residents should know."

    class Meta:
        model = AnnouncementPage
