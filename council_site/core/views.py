from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from wagtail.models import Page

from publishing.content import public_url

RESULTS_PER_PAGE = 10


@require_GET
def search(request):
    """Site search across live public pages, using Wagtail's search backend."""
    query = request.GET.get("q", "").strip()[:200]
    results = Page.objects.none()
    if query:
        results = Page.objects.live().public().specific().search(query)
    page = Paginator(results, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request, "core/search.html", {"search_query": query, "search_results": page}
    )


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search/",
        f"Sitemap: {public_url(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def server_error(request):
    """The 500 page, rendered without context processors or the database: the
    database may be what failed."""
    template = loader.get_template("500.html")
    return HttpResponseServerError(
        template.render({"site_name": settings.WAGTAIL_SITE_NAME})
    )
