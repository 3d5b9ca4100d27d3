"""The public site's Content-Security-Policy (django-csp).

The policy in ``settings.CONTENT_SECURITY_POLICY`` allows scripts, styles,
images and fonts from our own origin only, and no frames. The one exception is
the video player a visitor asks for: its origin comes from the YouTube
channel's ``WEB_URL`` (youtube-nocookie in production, the sandbox in
development), read when the response is built so that every settings module
gets the right one.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts

from .social import youtube_player_origin


class PublicSiteCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only:
            player = {"frame-src": [youtube_player_origin()]}
            # Replaced, not appended: 'none' must stand alone in a source list.
            parts.replace = {**(parts.replace or {}), **player}
        return parts
