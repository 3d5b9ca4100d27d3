"""The sandbox's multipart parser (python-multipart) must read every body as
werkzeug's own parser reads it: the same fields, the same files with the same
headers, the same limits, and malformed bodies refused alike."""

from __future__ import annotations

import io

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header

from sandbox.multipart import SandboxFormDataParser
from sandbox.web import SandboxRequest


def _parse(parser_class, content_type: str, body: bytes, **limits):
    parser = parser_class(silent=False, cls=MultiDict, **limits)
    mimetype, options = parse_options_header(content_type)
    _stream, form, files = parser.parse(io.BytesIO(body), mimetype, len(body), options)
    return (
        list(form.items(multi=True)),
        [
            (name, upload.filename, upload.content_type, list(upload.headers.items()),
             upload.read())
            for name, upload in files.items(multi=True)
        ],
    )


def _both(content_type: str, body: bytes, **limits):
    ours = _parse(SandboxFormDataParser, content_type, body, **limits)
    theirs = _parse(FormDataParser, content_type, body, **limits)
    assert ours == theirs
    return ours


def _encoded(fields: dict, files: dict) -> tuple[str, bytes]:
    """A multipart body (at least one file) as the app's clients send it
    (requests, as tweepy and the Facebook adapter use it), with its random
    boundary."""
    prepared = requests.Request(
        "POST", "http://sandbox.test/", data=fields, files=files
    ).prepare()
    return prepared.headers["Content-Type"], prepared.body


field_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    fields=st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), field_text,
                           max_size=5),
    blobs=st.lists(st.binary(max_size=3000), min_size=1, max_size=3),
)
def test_reads_what_clients_send_as_werkzeug_does(fields, blobs):
    files = {
        f"media{number}": (f"photo {number}.jpg", blob, "image/jpeg")
        for number, blob in enumerate(blobs)
    }
    content_type, body = _encoded(fields, files)
    form, uploads = _both(content_type, body)
    assert dict(form) == fields
    assert [upload[4] for upload in uploads] == blobs


def test_a_photo_post_keeps_caption_alt_text_and_image_bytes():
    image = bytes(range(256)) * 20  # every byte value, CR and LF among them
    content_type, body = _encoded(
        {"caption": "Bins – collected Tuesday ✅", "alt_text_custom": "A bin lorry"},
        {"source": ("lorry.jpg", image, "image/jpeg")},
    )
    form, uploads = _both(content_type, body)
    assert dict(form)["caption"] == "Bins – collected Tuesday ✅"
    assert uploads[0][:3] == ("source", "lorry.jpg", "image/jpeg")
    assert uploads[0][4] == image


def _handmade(parts: list[bytes], boundary: bytes = b"XyZ") -> tuple[str, bytes]:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return f"multipart/form-data; boundary={boundary.decode()}", body + b"--" + (
        boundary + b"--\r\n"
    )


def test_a_fields_charset_is_honoured_only_from_the_safe_list():
    content_type, body = _handmade(
        [
            b'Content-Disposition: form-data; name="latin"\r\n'
            b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\ncaf\xe9",
            b'Content-Disposition: form-data; name="odd"\r\n'
            b"Content-Type: text/plain; charset=cp1252\r\n\r\ncaf\xe9",
            b'Content-Disposition: form-data; name="plain"\r\n\r\ncaf\xc3\xa9',
        ]
    )
    form, _uploads = _both(content_type, body)
    assert form == [("latin", "café"), ("odd", "caf\ufffd"), ("plain", "café")]


def test_an_empty_filename_is_still_a_file():
    content_type, body = _handmade(
        [b'Content-Disposition: form-data; name="media"; filename=""\r\n\r\nabc']
    )
    form, uploads = _both(content_type, body)
    assert form == [] and uploads[0][1] == "" and uploads[0][4] == b"abc"


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("multipart/form-data", b"--XyZ\r\n\r\n--XyZ--\r\n"),  # no boundary
        ("multipart/form-data; boundary=XyZ", b"no parts at all"),
        _handmade([b'Content-Disposition: form-data; name="a"\r\n\r\ncut'])[:1]
        + (b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\ncut',),
    ],
    ids=["no boundary", "no parts", "cut short"],
)
def test_a_malformed_body_is_refused_by_both(content_type, body):
    for parser_class in (SandboxFormDataParser, FormDataParser):
        with pytest.raises(ValueError):
            _parse(parser_class, content_type, body)


def test_the_limits_are_werkzeugs():
    content_type, body = _handmade(
        [b'Content-Disposition: form-data; name="n"\r\n\r\n' + b"x" * 100] * 3
    )
    for parser_class in (SandboxFormDataParser, FormDataParser):
        with pytest.raises(RequestEntityTooLarge):
            _parse(parser_class, content_type, body, max_form_memory_size=50)
        with pytest.raises(RequestEntityTooLarge):
            _parse(parser_class, content_type, body, max_form_parts=2)
        assert len(_parse(parser_class, content_type, body, max_form_parts=3)[0]) == 3


def test_the_sandbox_requests_use_it():
    content_type, body = _encoded({"caption": "hello"}, {"source": ("a.jpg", b"jpg")})
    request = SandboxRequest.from_values(
        method="POST", data=body, content_type=content_type
    )
    assert isinstance(request.make_form_data_parser(), SandboxFormDataParser)
    assert request.form["caption"] == "hello"
    assert request.files["source"].read() == b"jpg"
