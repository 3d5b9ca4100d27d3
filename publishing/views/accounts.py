"""Connected accounts: their health, their own settings, and disconnecting
them (connecting them is :mod:`.connecting`). Only for users with
``publishing.manage_channels``."""

from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View
from wagtail.admin.ui.tables import (
    ButtonsColumnMixin,
    Column,
    DateColumn,
    TitleColumn,
    UserColumn,
)
from wagtail.admin.views.generic import BaseListingView
from wagtail.admin.widgets.button import Button, ButtonWithDropdown, ListingButton
from wagtail.images.widgets import AdminImageChooser

from channels import registry

from .. import accounts
from ..models import ChannelAccount
from .columns import TemplateColumn
from .wording import number_of, scopes_in_plain_words

logger = logging.getLogger(__name__)


def can_manage_channels(user) -> bool:
    return user.is_active and user.has_perm("publishing.manage_channels")


class ManageChannelsMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_manage_channels(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


#: Accounts whose posts wait until someone signs in again.
NEEDS_SIGN_IN = (
    ChannelAccount.Status.NEEDS_RECONNECT,
    ChannelAccount.Status.DISCONNECTED,
)


class AccountTitleColumn(ButtonsColumnMixin, TitleColumn):
    """The account's name, with what can be done to it in Wagtail's "More
    options" menu beside it, so that the table fits a laptop's screen.
    Reconnect stands beside the name as a button of its own while the
    account's posts wait for it."""

    def get_link_url(self, instance, parent_context):
        return None

    def get_buttons(self, instance, parent_context):
        def url(name):
            return reverse(f"publishing_admin:{name}", args=[instance.pk])

        more = [
            Button(_("Picture"), url("picture"), icon_name="image", priority=20),
            Button(_("Use"), url("account_use"), icon_name="cog", priority=30),
        ]
        if instance.status != ChannelAccount.Status.DISCONNECTED:
            more.append(
                Button(_("Disconnect"), url("disconnect"), icon_name="bin", priority=40)
            )
        buttons = []
        reconnect = (_("Reconnect"), url("reconnect"))
        if instance.status in NEEDS_SIGN_IN:
            buttons.append(
                ListingButton(
                    *reconnect,
                    icon_name="key",
                    priority=10,
                    attrs={"aria-label": _("Reconnect %s") % instance},
                )
            )
        else:
            more.append(Button(*reconnect, icon_name="key", priority=10))
        buttons.append(
            ButtonWithDropdown(
                buttons=more,
                icon_name="dots-horizontal",
                priority=50,
                attrs={"aria-label": _("More options for %s") % instance},
            )
        )
        return buttons


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


class AccountFieldView(ManageChannelsMixin, View):
    """A form for one of an account's own settings: it saves only that field,
    never the row's tokens or state."""

    form_class: type[forms.ModelForm]
    template_name: str
    title: str  # "Picture of {account}"

    def saved(self, account) -> str:
        """The message once the form is saved."""
        raise NotImplementedError

    def save(self, form, account) -> str:
        """Save the valid ``form``'s field; the message to show."""
        form.save(commit=False).save(update_fields=form._meta.fields)
        return self.saved(account)

    def extra_context(self, account) -> dict:
        """More for the template than the form and the account."""
        return {}

    def render(self, form, account):
        return TemplateResponse(
            self.request,
            self.template_name,
            {
                "form": form,
                "account": account,
                "page_title": self.title.format(account=account),
                **self.extra_context(account),
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
        messages.success(request, self.save(form, account))
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


#: What saving each use says, in a sentence of its own.
USE_SAVED = {
    ChannelAccount.Usage.EVERY_PAGE: "{account} now takes every page chosen for it.",
    ChannelAccount.Usage.URGENT_ONLY: (
        "{account} is now kept for urgent notices: ordinary pages no longer go "
        "there, and every urgent announcement does."
    ),
    ChannelAccount.Usage.RETIRED: (
        "{account} is retired: nothing new goes there and its feed has left the "
        "public site. Its posts stay on the record."
    ),
}


class AccountUseView(AccountFieldView):
    """What the account is for: every page chosen for it, urgent notices only
    (a council that keeps X for warn-and-inform messages), or retired."""

    form_class = AccountUseForm
    template_name = "publishing/admin/account_use.html"
    title = "Use of {account}"

    def extra_context(self, account) -> dict:
        # What each use would cancel, said before it is chosen.
        return {
            "stopping": {
                usage: accounts.posts_a_use_stops(account, usage).count()
                for usage in (
                    ChannelAccount.Usage.URGENT_ONLY,
                    ChannelAccount.Usage.RETIRED,
                )
            }
        }

    def save(self, form, account) -> str:
        """The new use, with the posts it cancels (:func:`accounts.change_use`)."""
        cancelled = accounts.change_use(
            account, form.cleaned_data["usage"], self.request.user
        )
        text = USE_SAVED[account.usage].format(account=account)
        if cancelled:
            text += (
                f" {number_of(cancelled, 'post')} not yet sent to it "
                f"{ngettext('was', 'were', cancelled)} cancelled; Social > Posts "
                "lists them."
            )
        return text


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
                f" {number_of(parked, 'waiting post')} will be sent if you "
                "reconnect it, or can be cancelled on the dashboard."
            )
        messages.success(request, text)
        return redirect("publishing_admin:accounts")
