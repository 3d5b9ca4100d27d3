"""An Atom feed of the council's announcements (Django's syndication framework)."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from publishing.content import canonical_url, public_url

FEED_SIZE = 20


class AnnouncementsFeed(Feed):
    feed_type = Atom1Feed

    def link(self):
        return public_url("/")

    def feed_url(self):
        return public_url(reverse("news_feed"))

    def title(self):
        return f"News from {settings.WAGTAIL_SITE_NAME}"

    def subtitle(self):
        return f"Announcements and service changes from {settings.WAGTAIL_SITE_NAME}."

    def items(self):
        from council_site.news.models import AnnouncementPage

        return (
            AnnouncementPage.objects.live()
            .public()
            .select_related("department")
            .order_by("-first_published_at")[:FEED_SIZE]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return canonical_url(item)

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at

    def item_categories(self, item):
        return [item.department.name] if item.department else []
