from django.conf import settings
from wagtail.models import Site


def navigation(request):
    """The council's name and the top-level pages shown in the main navigation.

    ``nav_pages`` is a lazy queryset: when the navigation fragment is cached
    (see :mod:`council_site.core.cache`) it is never run. Pages with a view
    restriction of their own are left out in the same query (``public()`` would
    cost a second one; a restriction above them covers the whole site).
    """
    site = Site.find_for_request(request)
    nav_pages = []
    if site is not None:
        nav_pages = (
            site.root_page.get_children()
            .live()
            .in_menu()
            .filter(view_restrictions__isnull=True)
        )
    return {"site_name": settings.WAGTAIL_SITE_NAME, "nav_pages": nav_pages}
