"""The content calendar: what is scheduled to go out, and what went out, day
by day (a month or a week), with each channel's state, for a department or an
account. Read-only; actions stay on the dashboard."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View
from wagtail.models import Page, Revision

from ..filters import department_choices
from ..models import ChannelAccount, CrossPost
from ..outbox import accounts_for
from .dashboard import crosspost_policy, visible_crossposts

WEEK = timedelta(days=7)


@dataclass
class Entry:
    """A page on a day: its title, where it is edited, and its channels, each
    a row (published) or an account (scheduled)."""

    title: str
    page_id: int | None
    scheduled_at: datetime | None = None
    rows: list[CrossPost] = field(default_factory=list)
    accounts: list[ChannelAccount] = field(default_factory=list)

    @property
    def edit_url(self) -> str:
        if self.page_id is None:
            return ""
        return reverse("wagtailadmin_pages:edit", args=[self.page_id])


def span(view: str, day: date) -> tuple[date, date]:
    """The first and last day shown: the weeks (Monday first) that hold the
    month, or the week, of ``day``."""
    if view == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    weeks = calendar.Calendar().monthdatescalendar(day.year, day.month)
    return weeks[0][0], weeks[-1][-1]


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


def published(rows, first: date, last: date, department: str, account: str):
    """day -> entries for the posts among ``rows`` sent (or, until they are,
    queued) between ``first`` and ``last``, one entry per page and day."""
    start, end = _bounds(first, last)
    rows = (
        rows.annotate(when=Coalesce("posted_at", "created_at"))
        .filter(when__gte=start, when__lt=end)
        .select_related("account")
        .order_by("when", "platform")
    )
    if department:
        rows = rows.filter(department=department)
    if account:
        rows = rows.filter(account_id=account)
    days: dict[date, dict] = {}
    for row in rows:
        day = timezone.localtime(row.when).date()
        key = row.page_id or f"row-{row.pk}"
        entry = days.setdefault(day, {}).setdefault(
            key, Entry(row.page_title, row.page_id)
        )
        entry.rows.append(row)
    for entries in days.values():
        for entry in entries.values():
            # A page's channels in one order on every day, as the dashboard
            # lists them, whichever went out first.
            entry.rows.sort(key=lambda row: (row.platform, row.account.display_name))
    return {day: list(entries.values()) for day, entries in days.items()}


def published_unposted(user, first: date, last: date, department: str):
    """day -> entries for the pages ``user`` may follow that went live between
    ``first`` and ``last`` and were posted nowhere (their social choice was
    none, or every account was kept for other pages): the calendar shows what
    went out on the site too, not only on social media."""
    start, end = _bounds(first, last)
    pages = (
        Page.objects.live()
        .filter(last_published_at__gte=start, last_published_at__lt=end)
        # Rows of deleted pages have no page; left in, NOT IN would match
        # nothing at all (SQL's NULL).
        .exclude(
            pk__in=CrossPost.objects.filter(page__isnull=False).values("page_id")
        )
        .order_by("last_published_at")
        .specific()
    )
    everything = _follows_everything(user)
    days: dict[date, list[Entry]] = {}
    for page in pages:
        if not _shown(page, user, everything, department):
            continue
        day = timezone.localtime(page.last_published_at).date()
        days.setdefault(day, []).append(Entry(page.title, page.pk))
    return days


def _follows_everything(user) -> bool:
    """Comms managers follow every page; others the pages they edit."""
    return crosspost_policy.user_has_any_permission(user, ["retry", "approve"])


def _shown(page, user, everything: bool, department: str) -> bool:
    """Whether the calendar shows ``page`` to ``user`` (``everything``: they
    follow every page) for ``department``: a page type that is ever posted
    (not the home page...), one they may follow, in the department asked for."""
    if not hasattr(page, "social_mode"):
        return False
    if not everything and not page.permissions_for_user(user).can_edit():
        return False
    return not department or page.social_department() == department


def scheduled(user, first: date, last: date, department: str, account: str):
    """day -> entries for the page revisions scheduled to go live between
    ``first`` and ``last`` on pages ``user`` may follow (comms: all; others:
    the pages they edit), with the accounts each will go to."""
    start, end = _bounds(first, last)
    revisions = Revision.page_revisions.filter(
        approved_go_live_at__gte=start, approved_go_live_at__lt=end
    ).order_by("approved_go_live_at")
    everything = _follows_everything(user)
    days: dict[date, list[Entry]] = {}
    for revision in revisions:
        page = revision.as_object()
        if not _shown(page, user, everything, department):
            continue
        accounts = accounts_for(page)
        if account and not any(str(a.pk) == account for a in accounts):
            continue
        day = timezone.localtime(revision.approved_go_live_at).date()
        days.setdefault(day, []).append(
            Entry(
                page.title,
                page.pk,
                scheduled_at=revision.approved_go_live_at,
                accounts=accounts,
            )
        )
    return days


class ContentCalendarView(View):
    """``?view=month|week&day=YYYY-MM-DD&department=...&account=<id>``."""

    template_name = "publishing/admin/calendar.html"

    def dispatch(self, request, *args, **kwargs):
        if not crosspost_policy.user_has_any_permission(
            request.user, ["view", "retry", "approve"]
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        params = request.GET
        view = "week" if params.get("view") == "week" else "month"
        try:
            day = date.fromisoformat(params.get("day", ""))
        except ValueError:
            day = timezone.localdate()
        department = params.get("department", "")
        account = params.get("account", "")
        if not account.isdigit():
            account = ""
        first, last = span(view, day)
        done = published(
            visible_crossposts(request.user), first, last, department, account
        )
        planned = scheduled(request.user, first, last, department, account)
        if not account:  # a page posted nowhere is on no account's calendar
            for when, entries in published_unposted(
                request.user, first, last, department
            ).items():
                done[when] = done.get(when, []) + entries
        weeks = []
        for start in range(0, (last - first).days + 1, 7):
            days = [first + timedelta(days=start + n) for n in range(7)]
            weeks.append(
                [
                    {
                        "date": d,
                        "in_month": view == "week" or d.month == day.month,
                        "today": d == timezone.localdate(),
                        "scheduled": planned.get(d, []),
                        "published": done.get(d, []),
                    }
                    for d in days
                ]
            )
        if view == "week":
            previous, following = day - WEEK, day + WEEK
        else:
            month_start = day.replace(day=1)
            previous = (month_start - timedelta(days=1)).replace(day=1)
            following = (month_start + timedelta(days=32)).replace(day=1)

        def link(**changes) -> str:
            query = {
                "view": view,
                "day": day.isoformat(),
                "department": department,
                "account": account,
                **changes,
            }
            return "?" + urlencode({k: v for k, v in query.items() if v})

        return TemplateResponse(
            request,
            self.template_name,
            {
                "page_title": "Content calendar",
                "view": view,
                "day": day,
                "first": first,
                "last": last,
                "weeks": weeks,
                "weekdays": [calendar.day_abbr[n] for n in range(7)],
                "department": department,
                "account": account,
                "departments": department_choices(),
                "accounts": ChannelAccount.objects.only("platform", "display_name"),
                "previous_url": link(day=previous.isoformat()),
                "next_url": link(day=following.isoformat()),
                "today_url": link(day=""),
                "month_url": link(view="month"),
                "week_url": link(view="week"),
            },
        )
