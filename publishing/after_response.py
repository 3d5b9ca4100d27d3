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

from collections.abc import Callable
from contextvars import ContextVar

#: Sends held for the current request's ``request_finished``; ``None`` when
#: nothing is being held (outside an admin change).
_held: ContextVar[list | None] = ContextVar("crosspost_messages_held", default=None)


def hold_until_response() -> None:
    """Hold the sends committed from now on until ``request_finished``.

    Anything an earlier request on this thread still held (its response was
    never closed here) is sent first, so nothing waits for a later request."""
    send_held()
    _held.set([])


def send_or_hold(send: Callable[[], int]) -> None:
    """Call ``send`` (it sends messages to the broker and says how many) now,
    or hold it if the current request holds its sends."""
    held = _held.get()
    if held is None:
        send()
    else:
        held.append(send)


def send_held(**_signal) -> int:
    """Make the sends the current request held, and stop holding; the number of
    messages sent. Connected to ``request_finished``."""
    held = _held.get()
    if held is None:
        return 0
    _held.set(None)
    return sum(send() for send in held)
