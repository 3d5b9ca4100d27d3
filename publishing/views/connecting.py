"""Connecting and reconnecting accounts. Only for users with
``publishing.manage_channels``.

How a platform is connected is its adapter's to say (``connects_with`` and
``chooses_instance``), never a platform's name here: on the platform's own
consent page (OAuth), with a handle and an app password typed into our form
(Bluesky), or on the server the person names first, where the council's app
is registered (Mastodon). Every way ends in
:func:`publishing.accounts.save_connected`.

Tokens only ever travel between the platform, the session (encrypted) and the
database (encrypted), and an app password only from the form to the platform:
nothing here renders or logs them.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from urllib.parse import urlsplit

import requests
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters

from channels import registry
from channels.errors import (
    AuthError,
    ChannelError,
    RateLimitedError,
    TemporaryError,
)
from channels.oauth import server_address
from channels.values import ConnectedAccount, Credentials

from .. import accounts, crypto
from ..fetching import FetchRefused, check_public_host
from ..links import is_sandbox
from ..models import ChannelAccount
from .accounts import can_manage_channels
from .wording import number_of

FLOW_KEY = "publishing.connect"  # the OAuth flow under way: state and verifier
CHOICE_KEY = "publishing.connect_choice"  # accounts found, awaiting the user's pick


def to_session(found: ConnectedAccount) -> dict:
    """A JSON-safe copy of a found account for the session, tokens encrypted."""
    credentials = found.credentials
    return {
        "platform": found.platform,
        "remote_id": found.remote_id,
        "display_name": found.display_name,
        "access_token": crypto.encrypt(credentials.access_token),
        "refresh_token": crypto.encrypt(credentials.refresh_token)
        if credentials.refresh_token
        else "",
        "expires_at": credentials.expires_at.isoformat()
        if credentials.expires_at
        else None,
        "scopes": list(credentials.scopes),
        "extra": dict(credentials.extra),
    }


def from_session(data: dict) -> ConnectedAccount:
    expires_at = data["expires_at"]
    return ConnectedAccount(
        platform=data["platform"],
        remote_id=data["remote_id"],
        display_name=data["display_name"],
        credentials=Credentials(
            account_id=data["remote_id"],
            access_token=crypto.decrypt(data["access_token"]),
            refresh_token=crypto.decrypt(data["refresh_token"])
            if data["refresh_token"]
            else "",
            expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
            scopes=tuple(data["scopes"]),
            extra=data["extra"],
        ),
    )


def _callback_url(request) -> str:
    return request.build_absolute_uri(reverse("publishing_admin:account_callback"))


def _to_accounts():
    return redirect("publishing_admin:accounts")


def _start_flow(request, platform: str, config: dict, account_id=None, instance=""):
    """Send the browser to the platform's consent page, keeping the flow (and
    the server it runs on, for a platform that ``chooses_instance``) in the
    session for the callback."""
    try:
        adapter_class = registry.get(platform)
        state = secrets.token_urlsafe(32)
        url, verifier = adapter_class.begin_connect(
            config, _callback_url(request), state
        )
    except (ChannelError, NotImplementedError, KeyError) as error:
        messages.error(request, f"Connecting to {platform} is not possible: {error}")
        return _to_accounts()
    request.session[FLOW_KEY] = {
        "platform": platform,
        "state": state,
        "verifier": verifier,
        "account": account_id,
        "instance_url": instance,
    }
    return redirect(url)


def _the_account(found: list[ConnectedAccount], account) -> list[ConnectedAccount]:
    """Of the accounts a sign-in found, those that are ``account`` (the one
    being reconnected): a sign-in for another account never replaces it."""
    if account is None:
        return []
    return [
        item
        for item in found
        if (item.platform, item.remote_id) == (account.platform, account.remote_id)
    ]


def _not_managed(account) -> str:
    return (
        f"That sign-in does not manage {account or 'the account'}; sign in as "
        "someone who does."
    )


def _connect_found(request, found: list[ConnectedAccount], name: str):
    """Save what a sign-in found (one account), or let the person pick (several)."""
    if not found:
        messages.warning(
            request, f"{name} returned no account you can publish to with that sign-in."
        )
        return _to_accounts()
    if len(found) > 1:
        request.session[CHOICE_KEY] = [to_session(f) for f in found]
        return redirect("publishing_admin:account_choose")
    save_and_report(request, found)
    return _to_accounts()


def save_and_report(request, found) -> None:
    for item in found:
        account, resumed = accounts.save_connected(item, request.user)
        text = f"{account} is connected."
        if resumed:
            text += f" {number_of(resumed, 'waiting post')} will now be sent."
        messages.success(request, text)


# What a platform asks for before it connects ------------------------------------------


class AppPasswordForm(forms.Form):
    """A handle and an app password, for a platform that ``connects_with =
    "app_password"``. The password is never drawn again, not even after an
    error, and never kept."""

    identifier = forms.CharField(
        label=_("Handle or email"),
        max_length=253,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    app_password = forms.CharField(
        label=_("App password"),
        max_length=100,
        strip=False,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password"}
        ),
    )

    def __init__(self, *args, adapter_class, **kwargs):
        super().__init__(*args, **kwargs)
        name = adapter_class.name
        self.fields["identifier"].help_text = (
            f"The account's {name} handle, or the email address it signs in with."
        )
        self.fields["app_password"].help_text = (
            f"{adapter_class.connect_help} It is used once, to sign in, and "
            f"is not stored: only the session {name} gives is kept, encrypted. "
            f"Revoking the app password in {name} disconnects the account."
        )


class InstanceForm(forms.Form):
    """The server an account lives on, for a platform that ``chooses_instance``."""

    instance = forms.CharField(label=_("Server"), max_length=300)

    def __init__(self, *args, adapter_class, config, **kwargs):
        super().__init__(*args, **kwargs)
        self.configured = adapter_class.instance_of(config, {})
        self.fields["instance"].help_text = (
            f"The address of the {adapter_class.name} server the council's account "
            "is on: the part of its handle after the second @ (for "
            "@council@social.example.gov.uk, social.example.gov.uk). The first "
            "time, the council's app is registered on that server."
        )

    def clean_instance(self) -> str:
        try:
            address = server_address(self.cleaned_data["instance"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        parts = urlsplit(address)
        # The server is asked for from our side: like a feed picture, it must
        # be on the internet, never on the council's own network (the local
        # sandbox, and the server the settings name, excepted).
        if not (accounts.same_server(address, self.configured) or is_sandbox(parts)):
            try:
                check_public_host(parts.hostname or "", parts.port or 443)
            except FetchRefused:
                raise forms.ValidationError(
                    f"{parts.netloc} is not a server on the internet that can be "
                    "reached. Check the address."
                ) from None
        return address


@method_decorator(sensitive_post_parameters("app_password"), name="dispatch")
class ConnectView(View):
    """Connect an account of ``platform``, or reconnect the account ``pk``.

    A platform that connects with OAuth and needs nothing first goes straight
    to its consent page; otherwise a form asks for what it needs. A
    reconnection never replaces the account with another one.
    """

    template_name = "publishing/admin/account_connect.html"

    def dispatch(self, request, platform: str | None = None, pk: int | None = None):
        if not can_manage_channels(request.user):
            raise PermissionDenied
        self.account = None
        if pk is not None:
            self.account = get_object_or_404(ChannelAccount, pk=pk)
            platform = self.account.platform
        elif platform not in registry.platforms():
            messages.error(request, f"There is no channel called “{platform}”.")
            return _to_accounts()
        try:
            self.adapter_class = registry.get(platform)
            self.config = registry.channel_config(platform)
        except ChannelError as error:
            messages.error(
                request, f"Connecting to {platform} is not possible: {error}"
            )
            return _to_accounts()
        self.platform, self.name = platform, self.adapter_class.name
        return super().dispatch(request)

    @property
    def asks_for_app_password(self) -> bool:
        return self.adapter_class.connects_with == "app_password"

    def get(self, request):
        if self.asks_for_app_password:
            initial = {}
            if self.account is not None:
                handle = self.account.extra.get("handle")
                initial["identifier"] = handle or self.account.display_name.lstrip("@")
            return self.render(self.app_password_form(initial=initial))
        if not self.adapter_class.chooses_instance:
            account_id = self.account.pk if self.account else None
            return _start_flow(request, self.platform, self.config, account_id)
        if self.account is not None:
            # The account stays on its server: reconnect there.
            return self.reconnect_on_instance()
        configured = self.config.get("API_URL") or ""
        return self.render(self.instance_form(initial={"instance": configured}))

    def post(self, request):
        if self.asks_for_app_password:
            return self.connect_with_app_password(self.app_password_form(request.POST))
        if self.adapter_class.chooses_instance and self.account is None:
            return self.connect_on_instance(self.instance_form(request.POST))
        return HttpResponseNotAllowed(["GET"])

    # Forms ---------------------------------------------------------------------------

    def app_password_form(self, data=None, **kwargs) -> AppPasswordForm:
        return AppPasswordForm(data, adapter_class=self.adapter_class, **kwargs)

    def instance_form(self, data=None, **kwargs) -> InstanceForm:
        return InstanceForm(
            data, adapter_class=self.adapter_class, config=self.config, **kwargs
        )

    def render(self, form):
        title = f"Reconnect {self.account}" if self.account else f"Connect {self.name}"
        return TemplateResponse(
            self.request,
            self.template_name,
            {
                "form": form,
                "page_title": title,
                "platform_name": self.name,
                "account": self.account,
                "app_password": self.asks_for_app_password,
            },
        )

    # Ways to connect -----------------------------------------------------------------

    def connect_with_app_password(self, form: AppPasswordForm):
        if not form.is_valid():
            return self.render(form)
        try:
            found = self.adapter_class.connect_with_app_password(
                self.config,
                form.cleaned_data["identifier"],
                form.cleaned_data["app_password"],
            )
        except AuthError as error:
            form.add_error(
                None,
                f"{self.name} did not accept that handle and app password "
                f"({error.message}). Check both, or make a new app password.",
            )
            return self.render(form)
        except RateLimitedError:
            form.add_error(
                None,
                f"{self.name} asks us to wait before signing in again. Nothing was "
                "connected; please try again in a few minutes.",
            )
            return self.render(form)
        except TemporaryError as error:
            form.add_error(
                None,
                f"{self.name} is not answering at the moment ({error.message}). "
                "Nothing was connected; please try again later.",
            )
            return self.render(form)
        except ChannelError as error:
            form.add_error(None, f"{self.name} refused the sign-in: {error.message}")
            return self.render(form)
        if self.account is not None:
            found = _the_account(found, self.account)
            if not found:
                form.add_error(None, _not_managed(self.account))
                return self.render(form)
        return _connect_found(self.request, found, self.name)

    def connect_on_instance(self, form: InstanceForm):
        if not form.is_valid():
            return self.render(form)
        instance = form.cleaned_data["instance"]
        try:
            config = accounts.instance_config(
                self.platform, instance, _callback_url(self.request)
            )
        except ChannelError as error:
            form.add_error("instance", error.message)
            return self.render(form)
        return _start_flow(self.request, self.platform, config, instance=instance)

    def reconnect_on_instance(self):
        instance = self.adapter_class.instance_of(self.config, self.account.extra)
        try:
            config = accounts.instance_config(
                self.platform, instance, _callback_url(self.request)
            )
        except ChannelError as error:
            messages.error(
                self.request, f"{self.account} was not reconnected. {error.message}"
            )
            return _to_accounts()
        return _start_flow(
            self.request, self.platform, config, self.account.pk, instance=instance
        )


class CallbackView(View):
    """Where the platform sends the browser back, with a code or an error."""

    def get(self, request):
        if not can_manage_channels(request.user):
            raise PermissionDenied
        flow = request.session.pop(FLOW_KEY, None)  # one use only
        if not flow:
            messages.error(
                request,
                "This sign-in has expired or was already used. Please start the "
                "connection again.",
            )
            return _to_accounts()
        platform = flow["platform"]
        name = registry.display_name(platform)
        try:
            config = registry.channel_config(platform)
            if flow.get("instance_url"):
                config = accounts.instance_config(
                    platform,
                    flow["instance_url"],
                    _callback_url(request),
                    register=False,
                )
            found = registry.get(platform).complete_connect(
                config,
                _callback_url(request),
                request.GET,
                flow["state"],
                flow["verifier"],
            )
        except ChannelError as error:
            messages.error(request, f"{name} was not connected. {error.message}")
            return _to_accounts()
        except requests.RequestException:
            messages.error(request, f"{name} did not answer. Please try again later.")
            return _to_accounts()
        reconnecting = flow.get("account")
        if reconnecting and found:
            account = ChannelAccount.objects.filter(pk=reconnecting).first()
            found = _the_account(found, account)
            if not found:
                messages.error(request, _not_managed(account))
                return _to_accounts()
        return _connect_found(request, found, name)


class ChooseAccountsForm(forms.Form):
    accounts = forms.MultipleChoiceField(
        label=_("Pages to connect"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one Page to connect.")},
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accounts"].choices = choices


class ChooseAccountsView(View):
    """When a sign-in manages several Pages, the user picks which to connect."""

    template_name = "publishing/admin/account_choose.html"

    def render(self, form):
        return TemplateResponse(
            self.request,
            self.template_name,
            {"form": form, "page_title": _("Choose the Pages to connect")},
        )

    def dispatch(self, request, *args, **kwargs):
        if not can_manage_channels(request.user):
            raise PermissionDenied
        self.pending = request.session.get(CHOICE_KEY) or []
        if not self.pending:
            messages.error(request, "There is nothing waiting to be connected.")
            return _to_accounts()
        self.choices = [
            (item["remote_id"], item["display_name"]) for item in self.pending
        ]
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render(ChooseAccountsForm(choices=self.choices))

    def post(self, request):
        if "cancel" in request.POST:
            request.session.pop(CHOICE_KEY, None)
            messages.info(request, "Nothing was connected.")
            return _to_accounts()
        form = ChooseAccountsForm(request.POST, choices=self.choices)
        if not form.is_valid():
            return self.render(form)
        chosen = set(form.cleaned_data["accounts"])
        request.session.pop(CHOICE_KEY, None)
        pending = [from_session(item) for item in self.pending]
        save_and_report(request, [item for item in pending if item.remote_id in chosen])
        return _to_accounts()
