"""Configuration checks (``manage.py check``; Django runs them before ``migrate``,
which ``make run`` and the web container run at every start): settings that
would break delivery's guarantees stop the start instead of posting twice later."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from .alert_senders import get_sender


@register()
def lease_margin(app_configs=None, **kwargs) -> list:
    """A delivery must stop before its lease runs out (its time limit is the lease
    less ``CROSSPOST_LEASE_MARGIN_SECONDS``), with time for its last call."""
    margin = settings.CROSSPOST_LEASE_MARGIN_SECONDS
    leases = {
        "CROSSPOST_LEASE_SECONDS": settings.CROSSPOST_LEASE_SECONDS,
        "CROSSPOST_UPLOAD_LEASE_SECONDS": settings.CROSSPOST_UPLOAD_LEASE_SECONDS,
    }
    problems = [
        Error(
            f"{name} ({lease} s) leaves a delivery no time: it must be longer "
            f"than CROSSPOST_LEASE_MARGIN_SECONDS ({margin} s).",
            hint="A delivery is stopped that long before its lease runs out.",
            id="publishing.E001",
        )
        for name, lease in leases.items()
        if lease <= margin
    ]
    timeouts = {
        name: float(channel.get("TIMEOUT", 0))
        for name, channel in settings.SOCIAL_CHANNELS.items()
    }
    slowest = max(timeouts, key=timeouts.get, default=None)
    if slowest is not None and margin < timeouts[slowest]:
        problems.append(
            Warning(
                f"CROSSPOST_LEASE_MARGIN_SECONDS ({margin} s) is shorter than the "
                f"{slowest} TIMEOUT ({timeouts[slowest]:g} s): a call a stopped "
                "delivery sent may land after another worker has looked for "
                "the post, and post it twice.",
                id="publishing.W001",
            )
        )
    waits = {
        name: float(channel.get("OPTIONS", {}).get("processing_wait", 0))
        for name, channel in settings.SOCIAL_CHANNELS.items()
    }
    upload_time = settings.CROSSPOST_UPLOAD_LEASE_SECONDS - margin
    problems += [
        Warning(
            f"The {name} processing_wait ({wait:g} s) does not fit in an upload's "
            f"time (CROSSPOST_UPLOAD_LEASE_SECONDS less the margin, {upload_time} "
            "s): an upload stopped while it waits is adopted without its outcome.",
            id="publishing.W002",
        )
        for name, wait in waits.items()
        if wait >= upload_time
    ]
    return problems


@register()
def alert_sender(app_configs=None, **kwargs) -> list:
    """Alert emails can leave: the sender ``ALERT_EMAIL_BACKEND`` names has
    what it needs (GOV.UK Notify its key and template)."""
    try:
        get_sender()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="publishing.E002")]
    return []
