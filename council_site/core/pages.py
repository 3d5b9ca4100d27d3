"""What the site's page types share: routing and privacy checks that cost one
query where Wagtail's take two.

Every public page view pays for Wagtail's site lookup, routing and privacy
check before the page renders anything, cached fragments or not, so these are
where the queries of a page view are saved for every visitor. Both keep
Wagtail's meaning: a URL finds the page it always did, and a page inside a
private section stays private.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length, Substr
from django.http import Http404
from wagtail.models import Page, PageViewRestriction

from publishing.content import canonical_url

#: The name routing gives its answer to "is this page private?" on the page.
PRIVATE_FLAG = "in_private_section"


def _is_prefix_of_outer_path(path_field: str) -> Q:
    """``path_field`` is the tree path of the outer query's page or an ancestor."""
    return Q(**{path_field: Substr(OuterRef("path"), 1, Length(path_field))})


def in_private_section() -> Exists:
    """True for a page (a row of the outer query) inside a private section.

    That is, a view restriction sits on the page or an ancestor, or on the
    page an alias among them mirrors (an alias takes its source page's
    restrictions, as in Wagtail). The restricted page's tree path is then a
    prefix of the page's own.
    """
    return Exists(
        PageViewRestriction.objects.filter(
            _is_prefix_of_outer_path("page__path")
            | _is_prefix_of_outer_path("page__aliases__path")
        )
    )


def public_pages_q() -> Q:
    """A filter keeping only pages outside every private section.

    Wagtail's ``PageQuerySet.public()`` reads every restriction first (a query
    of its own) to build its filter; this asks in the listing's own query.
    """
    return Q(~in_private_section())


class PublicPageMixin:
    """Mixed into every page type of the site, before ``Page``."""

    #: What residents call this kind of page (search results name it).
    public_type = "Page"

    def public_date(self) -> tuple[str, object]:
        """The date a list shows for this page, with what it means."""
        return "Updated", self.last_published_at

    def child_pages(self):
        """The children as their own page type, with what their views show
        loaded along (see :meth:`route`); None when they are of several types.

        Index pages, whose children are all of one type, override this.
        """
        return None

    def get_sitemap_urls(self, request=None):
        """Wagtail's sitemap entries, located on ``SITE_URL`` like every link
        that leaves the site (see :func:`publishing.content.canonical_url`)."""
        return [
            {**entry, "location": canonical_url(self)}
            for entry in super().get_sitemap_urls(request)
        ]

    def route(self, request, path_components):
        """Wagtail's routing, one query cheaper at each step.

        Wagtail finds a child by slug, reads its page type's fields (a second
        query) and later reads its view restrictions. Here a child of the type
        :meth:`child_pages` expects is read as that type at once, and every
        child comes with whether it is in a private section, so serving a
        public page needs no restriction query (see
        :meth:`get_view_restrictions`).
        """
        if not path_components:
            return super().route(request, path_components)
        child = self._child_by_slug(path_components[0])
        # As Wagtail does: get_parent() (the breadcrumbs) then needs no query.
        child._cached_parent_obj = self
        # .specific copies the flag over and is free for a typed child.
        return child.specific.route(request, path_components[1:])

    def _child_by_slug(self, slug: str):
        flag = {PRIVATE_FLAG: in_private_section()}
        typed = self.child_pages()
        if typed is not None:
            try:
                return typed.annotate(**flag).get(slug=slug)
            except ObjectDoesNotExist:
                pass  # a child of another type, or none: ask the tree
        try:
            return self.get_children().annotate(**flag).get(slug=slug)
        except Page.DoesNotExist as error:
            raise Http404 from error

    def get_view_restrictions(self):
        """The restrictions on this page and its ancestors.

        A page that routing found public (it asked in the same query that
        found the page) has none, and no query is made. Otherwise one query,
        where Wagtail's own method takes two (the ancestors, to find the
        source page of any alias among them, then the restrictions): the
        ancestors' paths follow from this page's path, and aliases are
        resolved in a subquery. An alias cannot have restrictions of its own;
        if one had, they would be found too, which errs on the side of privacy.
        """
        flag = self.__dict__.get(PRIVATE_FLAG)
        if flag is not None and not flag:
            return PageViewRestriction.objects.none()
        step = self.steplen
        paths = [self.path[:end] for end in range(step, len(self.path) + 1, step)]
        alias_sources = Page.objects.filter(
            path__in=paths, alias_of__isnull=False
        ).values("alias_of")
        return PageViewRestriction.objects.filter(
            Q(page__path__in=paths) | Q(page__in=alias_sources)
        )
