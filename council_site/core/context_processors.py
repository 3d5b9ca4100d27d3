from django.conf import settings
from wagtail.models import Site


def navigation(request):
    """The council's name and the top-level pages shown in the main navigation."""
    site = Site.find_for_request(request)
    nav_pages = []
    if site is not None:
        nav_pages = site.root_page.get_children().live().public().in_menu()
    return {"site_name": settings.WAGTAIL_SITE_NAME, "nav_pages": nav_pages}
