"""Local emulation of the Facebook Graph, X API v2, YouTube Data, Mastodon and
Bluesky (AT Protocol) APIs.

The sandbox is the other side of the wire for Council Publishing: the site and its
tests reach it only over HTTP, exactly as they would reach the real platforms.
Nothing here imports the application.

Entry points:

* ``python -m sandbox --port 8700`` (see :mod:`sandbox.__main__`)
* :func:`sandbox.server.start_sandbox` for in-process use in tests
* :class:`sandbox.control.SandboxControl` to drive the ``/_sandbox/`` control API
"""

from __future__ import annotations

PLATFORMS = ("facebook", "x", "youtube", "mastodon", "bluesky")
