"""The delivery messages an admin change commits go to the broker once the
editor has the response, not while the editor waits for it.

Sending a page's messages takes a few milliseconds, and with the broker down as
long as its connection timeout and publish retries. The editor need not wait
for either: the rows are committed before anything is sent, and the sweeper
sends any row whose message never went. So an admin change
(:class:`~publishing.middleware.AtomicAdminWritesMiddleware`) holds back what
its transaction commits, and Django's ``request_finished`` signal sends it.
Django sends that signal when the WSGI server closes the response, which it
does after writing it to the editor's browser. Everywhere else (workers,
management commands, the shell) messages are sent as the transaction commits.

The held messages live in a context variable: a WSGI server writes and closes a
response on the thread that made it, so the signal finds what that request held.
"""

from __future__ import annotations

from contextvars import ContextVar

#: Messages held for the current request's ``request_finished``; ``None`` when
#: nothing is being held (outside an admin change).
_held: ContextVar[list | None] = ContextVar("crosspost_messages_held", default=None)


def hold_until_response() -> None:
    """Hold the messages committed from now on until ``request_finished``.

    Anything an earlier request on this thread still held (its response was
    never closed here) is sent first, so nothing waits for a later request."""
    send_held()
    _held.set([])


def send_or_hold(messages: list[tuple]) -> None:
    """Send ``messages`` (:func:`publishing.services.delivery_messages`) now,
    or hold them if the current request holds messages."""
    held = _held.get()
    if held is None:
        _send(messages)
    else:
        held.extend(messages)


def send_held(**_signal) -> int:
    """Send what the current request held, and stop holding; the number sent.
    Connected to ``request_finished``."""
    held = _held.get()
    if held is None:
        return 0
    _held.set(None)
    return _send(held)


def _send(messages: list[tuple]) -> int:
    from .services import send_to_broker

    return send_to_broker(messages)
