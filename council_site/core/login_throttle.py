"""What a person sees when django-axes refuses their sign-in.

Axes counts failed sign-ins per username and address (settings ``AXES_*``) and,
past the limit, refuses the next ones for ``AXES_COOLOFF_TIME``. Each refused
attempt starts that wait again (axes' default), so the time shown here, counted
from now, is when signing in will work.
"""

from __future__ import annotations

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from wagtail.admin.views.account import password_reset_enabled


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The admin's lockout page (``AXES_LOCKOUT_CALLABLE``), answered with 429:
    when the person can try again, how to reset a password, and whom to ask."""
    wait = get_cool_off(request)
    return render(
        request,
        "wagtailadmin/login_locked_out.html",
        {
            "username": get_client_username(request, credentials) or "",
            "failure_limit": get_failure_limit(request, credentials),
            "retry_at": timezone.localtime() + wait,
            "minutes": round(wait.total_seconds() / 60),
            "contact": settings.LOGIN_HELP_CONTACT,
            "show_password_reset": password_reset_enabled(),
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def forwarded_client_ip(request: HttpRequest) -> str | None:
    """The address a sign-in came from, behind the compose file's proxy
    (``AXES_CLIENT_IP_CALLABLE`` in production). Gunicorn is reachable only from
    the proxy, which replaces ``X-Forwarded-For`` with the address it was
    reached from, so the header holds one address that no client chose."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[-1].strip() or request.META.get("REMOTE_ADDR")
