"""Admin URLs under /admin/social/ (included by wagtail_hooks.py)."""

from django.urls import path

from .accounts import (
    AccountListView,
    AccountPictureView,
    AccountUseView,
    DisconnectView,
)
from .actions import CrossPostActionView
from .alerts import AlertListView
from .calendar import ContentCalendarView
from .connecting import CallbackView, ChooseAccountsView, ConnectView
from .dashboard import CrossPostReportView
from .foi import PostedRecordView
from .status import AskRetryView, PageStatusView

app_name = "publishing_admin"
urlpatterns = [
    path("posts/", CrossPostReportView.as_view(), name="dashboard"),
    path(
        "posts/results/",
        CrossPostReportView.as_view(results_only=True),
        name="dashboard_results",
    ),
    path("posts/<int:pk>/ask-retry/", AskRetryView.as_view(), name="ask_retry"),
    path(
        "posts/<int:pk>/<slug:action>/",
        CrossPostActionView.as_view(),
        name="crosspost_action",
    ),
    path("pages/<int:page_id>/status/", PageStatusView.as_view(), name="page_status"),
    path("calendar/", ContentCalendarView.as_view(), name="calendar"),
    path("foi/", PostedRecordView.as_view(), name="foi"),
    path(
        "foi/results/", PostedRecordView.as_view(results_only=True), name="foi_results"
    ),
    path("alerts/", AlertListView.as_view(), name="alerts"),
    path(
        "alerts/results/",
        AlertListView.as_view(results_only=True),
        name="alerts_results",
    ),
    path("accounts/", AccountListView.as_view(), name="accounts"),
    path("accounts/connect/<slug:platform>/", ConnectView.as_view(), name="connect"),
    path("accounts/callback/", CallbackView.as_view(), name="account_callback"),
    path("accounts/choose/", ChooseAccountsView.as_view(), name="account_choose"),
    path("accounts/<int:pk>/reconnect/", ConnectView.as_view(), name="reconnect"),
    path("accounts/<int:pk>/picture/", AccountPictureView.as_view(), name="picture"),
    path("accounts/<int:pk>/use/", AccountUseView.as_view(), name="account_use"),
    path("accounts/<int:pk>/disconnect/", DisconnectView.as_view(), name="disconnect"),
]
