"""The homepage "Needs attention" panel and the FOI export."""

from __future__ import annotations

import io
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from publishing.models import ChannelAccount, CrossPost

from .conftest import foi_rows, make_account, make_row

State = CrossPost.State
HOME = reverse("wagtailadmin_home")
FOI = reverse("publishing_admin:foi")
PANEL = "Social posts: needs attention"


def test_panel_lists_what_needs_a_comms_manager(client, people, db):
    failed_on = make_account("x", "1", "@council")
    make_row(failed_on, State.FAILED, title="Road closures", last_error="Too long")
    held = make_row(make_account("x", "2", "@libraries"), State.HELD, title="Election")
    broken = make_account("facebook", "3", "Libraries Page")
    ChannelAccount.objects.filter(pk=broken.pk).update(
        status=ChannelAccount.Status.NEEDS_RECONNECT
    )
    expiring = make_account("facebook", "4", "Parks Page")
    refreshable = make_account("x", "5", "@parks")
    soon = timezone.now() + timedelta(days=3)
    ChannelAccount.objects.filter(pk__in=[expiring.pk, refreshable.pk]).update(
        token_expires_at=soon
    )
    ChannelAccount.objects.filter(pk=refreshable.pk).update(refresh_token="r")
    client.force_login(people["comms"])

    html = client.get(HOME).content.decode()

    assert PANEL in html
    assert "1 post failed" in html and "Road closures" in html
    assert "1 post is held for approval" in html
    assert (
        reverse("publishing_admin:crosspost_action", args=[held.pk, "approve"]) in html
    )
    assert reverse("publishing_admin:reconnect", args=[broken.pk]) in html
    assert reverse("publishing_admin:reconnect", args=[expiring.pk]) in html
    # Tokens that refresh by themselves need nobody.
    assert reverse("publishing_admin:reconnect", args=[refreshable.pk]) not in html


def test_panel_is_hidden_when_all_is_well_and_from_editors(client, people, db):
    client.force_login(people["comms"])
    assert PANEL not in client.get(HOME).content.decode()

    make_row(make_account(), State.FAILED)
    client.force_login(people["editor"])
    assert PANEL not in client.get(HOME).content.decode()


def test_foi_export_records_who_posted_what_and_why(client, people, db):
    comms, editor = people["comms"], people["editor"]
    now = timezone.now()
    account = make_account()
    row = make_row(
        account,
        State.RETRACTED,
        title="Council tax bands",
        published_by=editor,
        reviewed_by=comms,
        review_reason="Phone number is the public helpline",
        permalink="https://x.example/status/1",
        posted_at=now - timedelta(days=2),
        retracted_at=now - timedelta(days=1),
        media={"images": [{"path": "/media/bands.png", "alt_text": "Tax bands"}]},
    )
    make_row(
        make_account("x", "9", "@old"),
        State.POSTED,
        title="Last year",
        posted_at=now - timedelta(days=400),
    )
    make_row(make_account("x", "8", "@never"), State.FAILED, title="Never sent")
    client.force_login(comms)
    since = (timezone.localdate() - timedelta(days=30)).isoformat()

    rows = foi_rows(client, posted_at_from=since)

    assert [r["Page"] for r in rows] == ["Council tax bands"]
    record = rows[0]
    assert record["Text posted"] == row.text
    assert record["Account"] == "'@ExampleshireCC"  # quoted: "@" starts a formula
    assert record["Published by"] == "Editor Person (editor)"
    assert record["Approved by"] == "Comms Person (comms)"
    assert record["Approval reason"] == "Phone number is the public helpline"
    assert record["Permalink"] == "https://x.example/status/1"
    assert record["Taken down at"]
    assert "bands.png (alt: Tax bands)" in record["Media"]

    everything = foi_rows(client)
    assert {r["Page"] for r in everything} == {"Council tax bands", "Last year"}


def test_foi_export_as_xlsx(client, people, db):
    make_row(make_account(), State.POSTED, title="Bin day", posted_at=timezone.now())
    client.force_login(people["comms"])

    response = client.get(FOI, {"export": "xlsx"})

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    headings = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert "Text posted" in headings and "Approved by" in headings
    values = [cell.value for cell in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert "Bin day" in values


def test_foi_csv_export_writes_formulas_as_text(client, people, db):
    """OWASP's CSV injection rule: a cell a spreadsheet would run gets a
    leading single quote, in every column people outside the council fill."""
    make_row(
        make_account(),
        State.POSTED,
        title='=HYPERLINK("https://evil.example/","Open")',
        review_reason="@SUM(1)",
        permalink="+SUM(1,2)",
        posted_at=timezone.now(),
    )
    CrossPost.objects.update(text="-2+3")
    client.force_login(people["comms"])

    (record,) = foi_rows(client)

    assert record["Page"] == '\'=HYPERLINK("https://evil.example/","Open")'
    assert record["Approval reason"] == "'@SUM(1)"
    assert record["Permalink"] == "'+SUM(1,2)"
    assert record["Text posted"] == "'-2+3"
