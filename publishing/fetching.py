"""Fetching a platform's picture without letting anyone aim the request inward.

The URL of a feed picture comes from the platform's answer, and a server on the
way may redirect. So every hop, the first and each redirect (followed here, not
by requests), must be on the channel's ``MEDIA_HOSTS`` (:mod:`.links`), and
every address its name resolves to must be public: loopback, private,
link-local (cloud metadata at 169.254.169.254), shared and reserved addresses
are refused. Only the sandbox's own ``SANDBOX_HOSTS`` are exempt, in
development and tests.

The session takes nothing from the environment (no ``HTTPS_PROXY``, no
``~/.netrc`` credentials): a proxy is used only when ``FEED_MEDIA_PROXY`` names
one. Each picture has one deadline for all its hops and bytes
(``FEED_MEDIA_DEADLINE_SECONDS``; a server that stalls can overrun it by one
read's timeout at most), a size cap (``FEED_MEDIA_MAX_BYTES``) and must say it
is an image.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from channels.session import USER_AGENT

from .links import MEDIA_HOSTS, allowed_url, is_sandbox

MAX_REDIRECTS = 3
#: Longest wait for one connect or one read, within the picture's deadline.
READ_TIMEOUT = 5.0
CHUNK = 64 * 1024


class FetchRefused(Exception):
    """The picture was not fetched; the message says why, without secrets."""


def fetch_image(platform: str, url: str) -> bytes:
    """The bytes of the picture at ``url``, sent by ``platform``'s CDN.

    Raises :class:`FetchRefused` for an address that is not allowed, a
    redirect elsewhere, a non-image answer, one too large or too slow, and
    ``requests.RequestException`` for a network failure.
    """
    deadline = time.monotonic() + settings.FEED_MEDIA_DEADLINE_SECONDS
    with _session() as session:
        for _hop in range(MAX_REDIRECTS + 1):
            _check(platform, url)
            with session.get(
                url, stream=True, allow_redirects=False, timeout=_timeout(deadline)
            ) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers["Location"])
                    continue
                response.raise_for_status()
                return _image_body(response, deadline)
    raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy variables, no ~/.netrc
    if settings.FEED_MEDIA_PROXY:
        proxy = settings.FEED_MEDIA_PROXY
        session.proxies = {"http": proxy, "https": proxy}
    session.headers["User-Agent"] = USER_AGENT
    return session


def _check(platform: str, url: str) -> None:
    """Refuse ``url`` unless it is on the allow-list and resolves to public
    addresses only."""
    if not allowed_url(platform, url, MEDIA_HOSTS):
        raise FetchRefused(f"{urlsplit(url).netloc or url[:40]!r} is not allowed")
    parts = urlsplit(url)
    if is_sandbox(parts):
        return
    check_public_host(parts.hostname or "", parts.port or 443)


def check_public_host(hostname: str, port: int) -> None:
    """Refuse (:class:`FetchRefused`) a host that does not resolve, or that
    resolves to any address that is not public."""
    try:
        found = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchRefused(f"{hostname} does not resolve") from error
    for *_rest, address in found:
        if not is_public(address[0]):
            raise FetchRefused(f"{hostname} resolves to {address[0]}")


def is_public(address: str) -> bool:
    """Whether ``address`` is a public unicast address on the internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    return ip.is_global and not ip.is_multicast


def _timeout(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchRefused("deadline passed")
    return min(remaining, READ_TIMEOUT)


def _image_body(response: requests.Response, deadline: float) -> bytes:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if not content_type.lower().startswith("image/"):
        raise FetchRefused(f"not an image ({content_type[:40] or 'no type'})")
    cap = settings.FEED_MEDIA_MAX_BYTES
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cap:
        raise FetchRefused(f"larger than {cap} bytes")
    data = bytearray()
    # read1 returns what one socket read brings: a server that trickles a byte
    # at a time is stopped at the deadline, not after every byte it sends.
    while chunk := response.raw.read1(CHUNK, decode_content=True):
        data += chunk
        if len(data) > cap:
            raise FetchRefused(f"larger than {cap} bytes")
        _timeout(deadline)
    return bytes(data)
