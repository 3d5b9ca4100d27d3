"""Bad input from either side: garbage from a platform's API during a real publish,
and files an editor should be told about before anything is sent."""

from __future__ import annotations

from pathlib import Path

import PIL.Image
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from wagtail.documents import get_document_model
from wagtail.documents.forms import get_document_form
from wagtail.images import get_image_model
from wagtail.images.forms import get_image_form
from wagtail.models import PageLogEntry

from channels.facebook import FacebookAdapter
from channels.values import Credentials, Image, Post, Video
from channels.x import XAdapter
from channels.youtube import YouTubeAdapter
from publishing import content
from publishing.models import CrossPost
from tests.channels.contract import facebook_config, x_config, youtube_config
from tests.proof.helpers import forget_cached_rendition
from tests.publishing.conftest import live_posts_with_marker, publish, settle

State = CrossPost.State
NOWHERE = "http://127.0.0.1:9"  # validation never speaks HTTP


def integration(test):
    """A real worker and committed data."""
    test = pytest.mark.django_db(transaction=True, serialized_rollback=True)(test)
    return pytest.mark.integration(test)


def _error_trail(page) -> list[str]:
    """The errors page history shows for the page's cross-posts."""
    return [
        entry.data.get("error", "")
        for entry in PageLogEntry.objects.filter(page=page)
        if entry.data.get("error")
    ]


def _assert_readable(message: str) -> None:
    assert message.strip()
    for leak in ("Traceback", "<html", "<!DOCTYPE", '{"', 'File "'):
        assert leak not in message, message


# Garbage from the platforms, through a real worker ---------------------------------


@integration
@pytest.mark.parametrize("kind", ["html_error", "truncated_json"])
def test_garbage_answers_are_retried_and_posted_exactly_once(
    kind, sandbox, accounts, make_announcement, celery_worker_process
):
    log_mark = celery_worker_process.log_mark()
    for platform in ("facebook", "x", "youtube"):
        sandbox.add_fault(platform, "publish", kind, count=1)
    page = make_announcement(title=f"Garbage answer {kind}")
    forget_cached_rendition(page.hero_image)
    publish(page)

    rows = settle(page, expected=3, timeout=90, worker=celery_worker_process)

    assert {row.platform: row.state for row in rows} == dict.fromkeys(
        ("facebook", "x", "youtube"), State.POSTED
    ), [(row.platform, row.state, row.last_error) for row in rows]
    assert all(row.permalink for row in rows)
    # Facebook and X retry the whole post; YouTube resumes its upload in place.
    assert all(row.attempts >= 2 for row in rows if row.platform != "youtube")
    # truncated_json made the post and garbled the answer: the retry must have
    # found and adopted it rather than posting a second time.
    marker = content.canonical_url(page)
    for platform in ("facebook", "x", "youtube"):
        assert len(live_posts_with_marker(sandbox, marker, platform)) == 1, platform
    errors = _error_trail(page)
    assert errors, "the garbled answers left no trace in page history"
    for message in errors:
        _assert_readable(message)
    assert "Traceback" not in celery_worker_process.log_since(log_mark)


@integration
def test_a_platform_that_only_sends_garbage_fails_with_a_readable_message(
    sandbox, accounts, make_policy, celery_worker_process, settings
):
    sandbox.add_fault("facebook", "*", "html_error")
    page = make_policy(title="Always an HTML error page")
    publish(page)

    rows = {
        row.platform: row
        for row in settle(
            page,
            expected=2,
            timeout=120,
            worker=celery_worker_process,
            retry_window_over=True,
        )
    }

    facebook = rows["facebook"]
    assert facebook.state == State.FAILED
    assert facebook.attempts >= 2  # retried for CROSSPOST_RETRY_WINDOW_SECONDS
    assert "Gave up after" in facebook.last_error
    assert "unreadable answer (HTTP 502" in facebook.last_error
    _assert_readable(facebook.last_error)
    assert rows["x"].state == State.POSTED
    marker = content.canonical_url(page)
    assert live_posts_with_marker(sandbox, marker, "facebook") == []


# Files an editor chose ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_video_too_big_to_upload_gets_a_form_error(tmp_path):
    big = tmp_path / "council-meeting.mp4"
    with big.open("wb") as handle:
        handle.truncate(600 * 1024 * 1024)  # sparse: no disk space used
    upload = TemporaryUploadedFile("council-meeting.mp4", "video/mp4", 0, None)
    upload.file = big.open("rb")
    upload.size = big.stat().st_size
    form_class = get_document_form(get_document_model())
    form = form_class(data={"title": "Council meeting"}, files={"file": upload})

    assert not form.is_valid()
    assert "This file is too big (600.0\xa0MB)" in form.errors["file"][0]


def test_youtube_refuses_a_video_over_its_limit_before_uploading(tmp_path):
    huge = tmp_path / "all-day-livestream.mp4"
    with huge.open("wb") as handle:
        handle.truncate(257 * 1024**3)  # sparse: no disk space used
    adapter = YouTubeAdapter(youtube_config(NOWHERE), _credentials())
    post = Post(
        text="The whole meeting",
        link="https://example.gov.uk/news/meeting/",
        marker="https://example.gov.uk/news/meeting/",
        title="Full council meeting",
        video=Video(path=huge, title="Full council meeting"),
    )

    problems = adapter.validate(post)

    assert any("256 GB" in problem for problem in problems), problems


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "refusal"),
    [
        ("minutes.pdf", "The video must be an MP4, MOV, M4V or WebM file."),
        # Known by its content: a PDF renamed .mp4 is no video either.
        (
            "minutes.mp4",
            "is not a video file YouTube can take (MP4, MOV or WebM), whatever its "
            "name says.",
        ),
    ],
)
def test_a_file_that_is_not_a_video_is_refused_on_the_page(
    site, make_announcement, name, refusal
):
    page = make_announcement(title="Minutes as a video")
    page.video = get_document_model().objects.create(
        title="Minutes",
        file=SimpleUploadedFile(name, b"%PDF-1.4 minutes"),
    )

    with pytest.raises(ValidationError) as raised:
        page.full_clean()

    [message] = raised.value.message_dict["video"]
    assert message.endswith(refusal)


@pytest.mark.django_db
def test_a_file_that_is_not_an_image_gets_a_form_error():
    upload = SimpleUploadedFile("bin-lorry.jpg", b"this is a text file, not a JPEG")
    form_class = get_image_form(get_image_model())
    form = form_class(data={"title": "Bin lorry"}, files={"file": upload})

    assert not form.is_valid()
    assert form.errors["file"] == [
        "Upload a valid image. The file you uploaded was either not an image or a "
        "corrupted image."
    ]


@pytest.mark.parametrize(
    ("adapter_class", "make_config", "accepted"),
    [
        (FacebookAdapter, facebook_config, "Facebook accepts GIF, JPEG, PNG"),
        (XAdapter, x_config, "X accepts GIF, JPEG, PNG, WEBP"),
    ],
)
def test_an_image_type_the_platform_refuses_is_named_for_the_editor(
    adapter_class, make_config, accepted, tmp_path
):
    scan = tmp_path / "leaflet.tiff"
    PIL.Image.new("RGB", (40, 30), "white").save(scan, "TIFF")
    adapter = adapter_class(make_config(NOWHERE), _credentials())
    post = Post(
        text="Recycling leaflet",
        link="https://example.gov.uk/news/leaflet/",
        marker="https://example.gov.uk/news/leaflet/",
        images=(Image(scan, "The leaflet", "image/tiff"),),
    )

    problems = adapter.validate(post)

    assert problems == [f"{accepted} images; leaflet.tiff is a TIFF."]


@pytest.mark.parametrize(
    ("adapter_class", "make_config"),
    [(FacebookAdapter, facebook_config), (XAdapter, x_config)],
)
def test_a_picture_is_known_by_its_content_not_its_name(
    adapter_class, make_config, tmp_path
):
    renamed = tmp_path / "bin-calendar.png"
    renamed.write_bytes(b"%PDF-1.4 the bin calendar")
    webp = tmp_path / "lorry.jpg"
    PIL.Image.new("RGB", (40, 30), "teal").save(webp, "WEBP")
    adapter = adapter_class(make_config(NOWHERE), _credentials())
    post = Post(
        text="Bin calendar",
        link="https://example.gov.uk/news/bins/",
        marker="https://example.gov.uk/news/bins/",
        images=(
            Image(renamed, "The bin calendar", "image/png"),
            Image(webp, "A bin lorry", "image/jpeg"),
        ),
    )

    problems = adapter.validate(post)

    name = adapter_class.name
    assert f"The image bin-calendar.png is not a picture {name} can read." in problems
    webp_refused = "Facebook accepts GIF, JPEG, PNG images; lorry.jpg is a WEBP."
    assert (webp_refused in problems) == (adapter_class is FacebookAdapter)


def test_a_pdf_renamed_mp4_is_refused_for_youtube(tmp_path):
    renamed = tmp_path / "minutes.mp4"
    renamed.write_bytes(b"%PDF-1.4 minutes of the meeting")
    adapter = YouTubeAdapter(youtube_config(NOWHERE), _credentials())
    post = Post(
        text="Minutes",
        link="https://e.gov.uk/a/",
        marker="https://e.gov.uk/a/",
        title="Minutes",
        video=Video(path=renamed, title="Minutes"),
    )

    assert adapter.validate(post) == [
        "minutes.mp4 is not a video file YouTube can take (MP4, MOV or WebM), "
        "whatever its name says."
    ]


def _credentials() -> Credentials:
    return Credentials("200000000001", "not-a-real-token", extra={"username": "x"})


def test_youtube_names_a_missing_or_non_video_file(tmp_path):
    adapter = YouTubeAdapter(youtube_config(NOWHERE), _credentials())
    missing = Post(
        text="t",
        link="https://e.gov.uk/a/",
        marker="https://e.gov.uk/a/",
        title="Video",
        video=Video(path=Path(tmp_path / "gone.mp4"), title="Video"),
    )
    assert adapter.validate(missing) == ["The video file gone.mp4 is missing."]
