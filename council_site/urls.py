from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from council_site.core import views as core_views
from council_site.core.syndication import AnnouncementsFeed

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("search/", core_views.search, name="search"),
    # A dot can never be in a page slug, so no page can shadow the feed.
    path("news.atom", AnnouncementsFeed(), name="news_feed"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", core_views.robots_txt, name="robots_txt"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]

handler500 = "council_site.core.views.server_error"
