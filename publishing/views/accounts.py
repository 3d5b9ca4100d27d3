"""Connected accounts: their health, and connecting, reconnecting and
disconnecting them. Only for users with ``publishing.manage_channels``."""

from __future__ import annotations

import logging
import secrets

import requests
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn, UserColumn
from wagtail.admin.views.generic import BaseListingView
from wagtail.images.widgets import AdminImageChooser

from channels import registry
from channels.errors import ChannelError

from .. import accounts
from ..models import ChannelAccount
from . import connecting
from .columns import TemplateColumn
from .wording import scopes_in_plain_words

logger = logging.getLogger(__name__)
FLOW_KEY = "publishing.connect"  # the OAuth flow under way: state and verifier
CHOICE_KEY = "publishing.connect_choice"  # accounts found, awaiting the user's pick


def can_manage_channels(user) -> bool:
    return user.is_active and user.has_perm("publishing.manage_channels")


class ManageChannelsMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_manage_channels(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AccountTitleColumn(TitleColumn):
    def get_link_url(self, instance, parent_context):
        return None


class AccountListView(ManageChannelsMixin, BaseListingView):
    page_title = _("Social accounts")
    header_icon = "globe"
    template_name = "publishing/admin/accounts.html"
    results_template_name = "publishing/admin/accounts_results.html"
    index_url_name = "publishing_admin:accounts"
    paginate_by = 50
    verbose_name_plural = _("connected accounts")

    @cached_property
    def columns(self):
        return [
            AccountTitleColumn(
                "display_name", label=_("Account"), classname="social-account-name"
            ),
            Column("platform", label=_("Platform"), accessor="get_platform_display"),
            TemplateColumn(
                "status",
                label=_("Status"),
                template_name="publishing/admin/cells/account_status.html",
            ),
            Column("usage", label=_("Use"), accessor="get_usage_display"),
            TemplateColumn(
                "token_expires_at",
                label=_("Token expires"),
                template_name="publishing/admin/cells/token_expires.html",
            ),
            DateColumn("last_success_at", label=_("Last success")),
            DateColumn("last_error_at", label=_("Last error")),
            Column(
                "scopes",
                label=_("Allows the council to"),
                accessor=lambda a: scopes_in_plain_words(a.platform, a.scopes),
            ),
            UserColumn("connected_by", label=_("Connected by")),
            TemplateColumn(
                "actions",
                label=_("Actions"),
                template_name="publishing/admin/cells/account_actions.html",
            ),
        ]

    def get_base_queryset(self):
        # Tokens are never read for the listing, so never decrypted either.
        return (
            ChannelAccount.objects.defer("access_token", "refresh_token")
            .select_related("connected_by")
            .order_by("platform", "display_name")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["platforms"] = registry.as_choices()
        return context


def _callback_url(request) -> str:
    return request.build_absolute_uri(reverse("publishing_admin:account_callback"))


def _start_flow(request, platform: str, account_id: int | None = None):
    try:
        adapter_class = registry.get(platform)
        config = registry.channel_config(platform)
        state = secrets.token_urlsafe(32)
        url, verifier = adapter_class.begin_connect(
            config, _callback_url(request), state
        )
    except (ChannelError, NotImplementedError, KeyError) as error:
        messages.error(request, f"Connecting to {platform} is not possible: {error}")
        return redirect("publishing_admin:accounts")
    request.session[FLOW_KEY] = {
        "platform": platform,
        "state": state,
        "verifier": verifier,
        "account": account_id,
    }
    return redirect(url)


class ConnectView(ManageChannelsMixin, View):
    """Send the browser to the platform's consent page."""

    def get(self, request, platform: str):
        if platform not in dict(registry.as_choices()):
            messages.error(request, f"There is no channel called “{platform}”.")
            return redirect("publishing_admin:accounts")
        return _start_flow(request, platform)


class ReconnectView(ManageChannelsMixin, View):
    def get(self, request, pk: int):
        account = get_object_or_404(ChannelAccount, pk=pk)
        return _start_flow(request, account.platform, account.pk)


class CallbackView(ManageChannelsMixin, View):
    """Where the platform sends the browser back, with a code or an error."""

    def get(self, request):
        flow = request.session.pop(FLOW_KEY, None)  # one use only
        if not flow:
            messages.error(
                request,
                "This sign-in has expired or was already used. Please start the "
                "connection again.",
            )
            return redirect("publishing_admin:accounts")
        platform = flow["platform"]
        name = dict(registry.as_choices()).get(platform, platform)
        try:
            found = registry.get(platform).complete_connect(
                registry.channel_config(platform),
                _callback_url(request),
                request.GET,
                flow["state"],
                flow["verifier"],
            )
        except ChannelError as error:
            messages.error(request, f"{name} was not connected. {error.message}")
            return redirect("publishing_admin:accounts")
        except requests.RequestException:
            messages.error(request, f"{name} did not answer. Please try again later.")
            return redirect("publishing_admin:accounts")
        if not found:
            messages.warning(
                request,
                f"{name} returned no account you can publish to with that sign-in.",
            )
            return redirect("publishing_admin:accounts")
        reconnecting = flow.get("account")
        if reconnecting:
            account = ChannelAccount.objects.filter(pk=reconnecting).first()
            matching = [
                f for f in found if account and f.remote_id == account.remote_id
            ]
            if not matching:
                messages.error(
                    request,
                    f"That sign-in does not manage {account or 'the account'}; "
                    "sign in as someone who does.",
                )
                return redirect("publishing_admin:accounts")
            found = matching
        if len(found) > 1:
            request.session[CHOICE_KEY] = [connecting.to_session(f) for f in found]
            return redirect("publishing_admin:account_choose")
        save_and_report(request, found)
        return redirect("publishing_admin:accounts")


def save_and_report(request, found) -> None:
    for item in found:
        account, resumed = accounts.save_connected(item, request.user)
        text = f"{account} is connected."
        if resumed:
            text += f" {resumed} waiting post(s) will now be sent."
        messages.success(request, text)


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
            return redirect("publishing_admin:accounts")
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
            return redirect("publishing_admin:accounts")
        form = ChooseAccountsForm(request.POST, choices=self.choices)
        if not form.is_valid():
            return self.render(form)
        chosen = set(form.cleaned_data["accounts"])
        request.session.pop(CHOICE_KEY, None)
        save_and_report(
            request,
            [
                connecting.from_session(item)
                for item in self.pending
                if item["remote_id"] in chosen
            ],
        )
        return redirect("publishing_admin:accounts")


class AccountFieldView(ManageChannelsMixin, View):
    """A form for one of an account's own settings: it saves only that field,
    never the row's tokens or state."""

    form_class: type[forms.ModelForm]
    template_name: str
    title: str  # "Picture of {account}"

    def saved(self, account) -> str:
        """The message once the form is saved."""
        raise NotImplementedError

    def render(self, form, account):
        return TemplateResponse(
            self.request,
            self.template_name,
            {
                "form": form,
                "account": account,
                "page_title": self.title.format(account=account),
            },
        )

    def get(self, request, pk: int):
        account = get_object_or_404(ChannelAccount, pk=pk)
        return self.render(self.form_class(instance=account), account)

    def post(self, request, pk: int):
        account = get_object_or_404(ChannelAccount, pk=pk)
        form = self.form_class(request.POST, instance=account)
        if not form.is_valid():
            return self.render(form, account)
        form.save(commit=False).save(update_fields=form._meta.fields)
        messages.success(request, self.saved(account))
        return redirect("publishing_admin:accounts")


class AccountPictureForm(forms.ModelForm):
    class Meta:
        model = ChannelAccount
        fields = ["picture"]
        widgets = {"picture": AdminImageChooser}


class AccountPictureView(AccountFieldView):
    """The account's picture for the previews, chosen from the image library:
    the previews never load the platform's own copy."""

    form_class = AccountPictureForm
    template_name = "publishing/admin/account_picture.html"
    title = "Picture of {account}"

    def saved(self, account) -> str:
        return f"The picture of {account} is saved."


class AccountUseForm(forms.ModelForm):
    class Meta:
        model = ChannelAccount
        fields = ["usage"]
        widgets = {"usage": forms.RadioSelect}


class AccountUseView(AccountFieldView):
    """What the account is for: every page chosen for it, urgent notices only
    (a council that keeps X for warn-and-inform messages), or retired."""

    form_class = AccountUseForm
    template_name = "publishing/admin/account_use.html"
    title = "Use of {account}"

    def saved(self, account) -> str:
        return f"{account} is now used for: {account.get_usage_display()}."


class DisconnectView(ManageChannelsMixin, View):
    template_name = "publishing/admin/account_disconnect.html"

    def get(self, request, pk: int):
        account = get_object_or_404(ChannelAccount, pk=pk)
        return TemplateResponse(
            request,
            self.template_name,
            {
                "account": account,
                "waiting": accounts.waiting_posts(account).count(),
                "page_title": f"Disconnect {account}",
            },
        )

    def post(self, request, pk: int):
        account = get_object_or_404(ChannelAccount, pk=pk)
        parked = accounts.disconnect(account, request.user)
        text = f"{account} is disconnected and its tokens are deleted."
        if parked:
            text += (
                f" {parked} waiting post(s) will be sent if you reconnect it, or "
                "can be cancelled on the dashboard."
            )
        messages.success(request, text)
        return redirect("publishing_admin:accounts")
