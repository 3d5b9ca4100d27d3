"""The Content-Security-Policy of every page (django-csp).

Public pages get ``settings.CONTENT_SECURITY_POLICY``: scripts, styles, images
and fonts from our own origin only, and no frames. The one exception is the
video player a visitor asks for: its origin comes from the YouTube channel's
``WEB_URL`` (youtube-nocookie in production, the sandbox in development), read
when the response is built so that every settings module gets the right one.

The Wagtail admin gets ``settings.ADMIN_CONTENT_SECURITY_POLICY`` instead, which
allows the inline scripts and styles that Wagtail's own templates carry; its
page previews frame the public pages, player included.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.urls import reverse

from .social import youtube_player_origin


class PublicSiteCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        player = youtube_player_origin()
        if parts.config is None and _is_admin(request):
            parts.config = settings.ADMIN_CONTENT_SECURITY_POLICY
            frames = [*settings.ADMIN_CONTENT_SECURITY_POLICY["frame-src"], player]
        else:
            # Replaced, not appended: 'none' must stand alone in a source list.
            frames = [player]
        parts.replace = {**(parts.replace or {}), "frame-src": frames}
        return parts


def _is_admin(request) -> bool:
    return request.path_info.startswith(reverse("wagtailadmin_home"))
