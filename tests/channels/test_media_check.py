"""Media known by content, read once per version of a file."""

from __future__ import annotations

import io
import os

from PIL import Image

from channels import media_check
from sandbox.video import make_mp4


def _jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_picture_replaced_in_place_is_read_again(tmp_path):
    path = tmp_path / "lorry.jpg"
    path.write_bytes(_jpeg(64, 48))
    first = media_check.picture(path)
    assert media_check.picture(path) == first  # the kept answer
    path.write_bytes(_jpeg(640, 480))  # a new version: size and time change

    assert (first.width, media_check.picture(path).width) == (64, 640)


def test_a_video_replaced_by_a_pdf_is_no_longer_a_video(tmp_path):
    path = tmp_path / "meeting.mp4"
    path.write_bytes(make_mp4(20_000))
    assert media_check.movie(path).container == "mp4"
    stat = path.stat()
    path.write_bytes(b"%PDF-1.7 not a film")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))

    assert media_check.movie(path) is None


def test_a_missing_picture_is_no_picture(tmp_path):
    assert media_check.picture(tmp_path / "gone.jpg") is None
