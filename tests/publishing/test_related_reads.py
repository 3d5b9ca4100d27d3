"""Publishing reads the foreign keys a page's posts are made from in one query,
with the site's settings and accounts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from council_site.core.models import Department
from council_site.news.models import AnnouncementPage
from publishing import content, outbox
from tests.publishing.conftest import publish, rows_for

RELATED_TABLES = ("core_department", "wagtailimages_image", "wagtaildocs_document")


def _reads_of_related(captured) -> list[str]:
    return [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT")
        and any(f'"{table}"' in query["sql"] for table in RELATED_TABLES)
    ]


@pytest.mark.django_db
def test_the_outbox_reads_department_image_and_video_together(
    accounts, make_announcement
):
    page = make_announcement(live=False)
    publish(page)
    page.title = "Bins collected two days late"
    revision = page.save_revision()
    received = revision.as_object()  # as the receiver gets it: nothing loaded

    with CaptureQueriesContext(connection) as captured:
        changed, _skipped = outbox.queue_page(received, revision)

    reads = _reads_of_related(captured)
    assert len(reads) == 1
    assert all(f'"{table}"' in reads[0] for table in RELATED_TABLES)
    # The posts are what composing from a page that reads each key for itself
    # makes.
    assert len(changed) == 3
    reference = revision.as_object()
    social_settings = content.social_settings_for(reference)
    for row in rows_for(page):
        post = content.build_post(reference, row.platform, social_settings)
        assert (row.revision_id, row.text) == (revision.pk, post.text)
        assert row.media == content.describe_media(post)
    assert reference.department.name == "Waste and Recycling"


@pytest.mark.django_db
def test_each_key_is_read_as_the_published_copy_has_it(site, make_announcement):
    saved = make_announcement()
    other = Department.objects.create(name="Parks and Open Spaces", slug="parks")
    page = AnnouncementPage.objects.get(pk=saved.pk)
    page.department_id = other.pk  # an unsaved change, as a revision may carry
    page.captions_id = None  # no key: nothing to read

    content.publishing_inputs(page, default_accounts=False)

    with CaptureQueriesContext(connection) as captured:
        department, image, video = page.department, page.hero_image, page.video
        captions = page.captions
    assert captured.captured_queries == []  # all loaded by the one read
    assert department == other  # the copy's own key, not the saved row's
    assert (image.pk, video.pk) == (saved.hero_image_id, saved.video_id)
    assert image.title == "Bin lorry" and video.file.name.endswith(".mp4")
    assert captions is None


@pytest.mark.django_db
def test_a_key_to_a_row_that_is_gone_loads_nothing(site, make_announcement):
    saved = make_announcement(with_video=False)
    page = AnnouncementPage.objects.get(pk=saved.pk)
    page.department_id = Department.objects.order_by("-pk").first().pk + 100

    content.publishing_inputs(page, default_accounts=False)

    with CaptureQueriesContext(connection) as captured:
        department, image = page.department, page.hero_image
    assert captured.captured_queries == []
    # None, as Wagtail gives a revision's key to a deleted object: the post is
    # composed without it rather than the editor's publish failing.
    assert department is None
    assert image.pk == saved.hero_image_id
