"""How alert emails leave: Django's email framework, or GOV.UK Notify.

``ALERT_EMAIL_BACKEND`` chooses: ``django`` sends through ``EMAIL_BACKEND``
(SMTP in production, the console in development, memory in tests); ``notify``
sends through GOV.UK Notify's official client with ``NOTIFY_API_KEY`` and an
email template, ``NOTIFY_TEMPLATE_ID``, whose subject is ``((subject))`` and
whose body is ``((body))``. A sender reads its settings when it is made and
raises ``ImproperlyConfigured`` then, not at the first alert.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient


class AlertSendError(Exception):
    """The email was not accepted: its alerts stay queued for the next run."""


@dataclass(frozen=True)
class AlertEmail:
    to: str
    subject: str
    text: str
    html: str = ""
    #: Ours for the message, shown in Notify's own records (no personal data).
    reference: str = ""


class DjangoEmailSender:
    """Sends through Django's ``EMAIL_BACKEND``, from ``DEFAULT_FROM_EMAIL``."""

    def send(self, email: AlertEmail) -> None:
        message = EmailMultiAlternatives(email.subject, email.text, to=[email.to])
        if email.html:
            message.attach_alternative(email.html, "text/html")
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as error:
            raise AlertSendError(f"The mail server refused it: {error}") from error


class NotifySender:
    """Sends through GOV.UK Notify (https://docs.notifications.service.gov.uk/python.html).

    The key is given to the client only: it is never logged nor put in an error.
    """

    def __init__(self) -> None:
        api_key = getattr(settings, "NOTIFY_API_KEY", "")
        self.template_id = getattr(settings, "NOTIFY_TEMPLATE_ID", "")
        if not api_key or not self.template_id:
            raise ImproperlyConfigured(
                "ALERT_EMAIL_BACKEND is notify: set NOTIFY_API_KEY and "
                "NOTIFY_TEMPLATE_ID."
            )
        # A Notify key is "name-<service id>-<secret>", two UUIDs at the end.
        if len(api_key) < 74:
            raise ImproperlyConfigured(
                "NOTIFY_API_KEY is not a GOV.UK Notify API key (it ends with two "
                "UUIDs: the service id and the secret)."
            )
        self.client = NotificationsAPIClient(
            api_key,
            base_url=settings.NOTIFY_BASE_URL,
            timeout=settings.NOTIFY_TIMEOUT,
        )

    def send(self, email: AlertEmail) -> None:
        try:
            self.client.send_email_notification(
                email_address=email.to,
                template_id=self.template_id,
                personalisation={"subject": email.subject, "body": email.text},
                reference=email.reference or None,
            )
        except APIError as error:  # the client's, for refusals and lost calls alike
            raise AlertSendError(
                f"GOV.UK Notify answered {error.status_code}: {error.message}"
            ) from error


SENDERS = {"django": DjangoEmailSender, "notify": NotifySender}


def get_sender() -> DjangoEmailSender | NotifySender:
    """The sender ``ALERT_EMAIL_BACKEND`` names."""
    name = settings.ALERT_EMAIL_BACKEND
    if name not in SENDERS:
        raise ImproperlyConfigured(
            f"ALERT_EMAIL_BACKEND is {name!r}: use one of {', '.join(SENDERS)}."
        )
    return SENDERS[name]()
