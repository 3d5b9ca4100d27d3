"""Delivery tasks handed to the broker without making the editor wait.

The outbox rows are committed before anything is sent, and the sweeper re-sends
any due row the broker never got. So the web process need not hold an editor's
"Publish" until the broker has answered: after commit the batch goes to one
sender thread per process, and the response goes back at once. A broker that is
slow or down costs the editor nothing.

Celery worker processes send inline instead (:func:`send_inline`): a pool
process can be ended at any moment, and its follow-up messages should not be
left waiting in a thread.

Each process keeps its own thread and queue. After a fork the child starts both
afresh and never sends what the parent had queued: the parent sends that. At
exit, queued batches are given :data:`EXIT_FLUSH_SECONDS` to go, so a command
that publishes and ends at once (``publish_scheduled``) still sends them; what
is left then waits for the sweeper, as after a broker outage.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable, Sequence

logger = logging.getLogger(__name__)

#: How long an exiting process waits for its queued batches to be sent.
EXIT_FLUSH_SECONDS = 5.0

Batch = Sequence[tuple]
Sender = Callable[[Batch], None]


class Dispatcher:
    """Runs ``sender`` on each submitted batch, in order, on one daemon thread.

    ``sender`` must handle its own failures (the outbox sender logs them and
    leaves the rows to the sweeper); anything it raises is logged here, and the
    thread carries on with the next batch.
    """

    def __init__(self, sender: Sender, *, inline: bool = False) -> None:
        self.sender = sender
        self.inline = inline
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.SimpleQueue | None = None
        self._thread: threading.Thread | None = None

    def submit(self, batch: Batch) -> None:
        """Send ``batch`` soon, after every batch submitted before it."""
        if self.inline:
            self._send(batch)
        else:
            self._running_queue().put(batch)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted so far is sent; ``False`` on timeout."""
        with self._lock:
            idle = self._queue is None or self._pid != os.getpid()
        if self.inline or idle:
            return True
        done = threading.Event()
        self._running_queue().put(done)
        return done.wait(timeout)

    def _running_queue(self) -> queue.SimpleQueue:
        with self._lock:
            if self._pid != os.getpid() or not self._thread.is_alive():
                # First use, or a forked child: the parent's thread did not
                # survive the fork, and what it had queued is the parent's.
                self._pid = os.getpid()
                self._queue = queue.SimpleQueue()
                self._thread = threading.Thread(
                    target=self._run,
                    args=(self._queue,),
                    name="crosspost-dispatch",
                    daemon=True,
                )
                self._thread.start()
            return self._queue

    def _run(self, batches: queue.SimpleQueue) -> None:
        while True:
            batch = batches.get()
            if isinstance(batch, threading.Event):
                batch.set()
            else:
                self._send(batch)

    def _send(self, batch: Batch) -> None:
        try:
            self.sender(batch)
        except Exception:  # noqa: BLE001 - the rows are safe; the sweeper sends them
            logger.exception("Sending cross-posts to the broker failed")


def _send_to_broker(batch: Batch) -> None:
    from .services import send_to_broker

    send_to_broker(batch)


dispatcher = Dispatcher(_send_to_broker)


def send_inline() -> None:
    """From now on, send on the caller's thread (Celery worker processes)."""
    dispatcher.inline = True


@atexit.register
def _flush_at_exit() -> None:
    if not dispatcher.flush(EXIT_FLUSH_SECONDS):
        logger.warning(
            "Exiting with cross-posts not yet sent; the sweeper will send them"
        )
