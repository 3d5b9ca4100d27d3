"""The sender thread that hands delivery tasks to the broker after commit."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from celery.signals import worker_init

from publishing import dispatch
from publishing.dispatch import Dispatcher

ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """A sender that notes each batch and the thread that sent it; ``gate``
    holds it until the test lets it go."""

    def __init__(self, fail_on=()):
        self.sent: list = []
        self.threads: list[str] = []
        self.gate = threading.Event()
        self.gate.set()
        self.fail_on = fail_on

    def __call__(self, batch):
        self.gate.wait(10)
        self.threads.append(threading.current_thread().name)
        if batch in self.fail_on:
            raise ConnectionError("broker went away")
        self.sent.append(batch)


def test_submit_returns_before_the_broker_has_answered_and_order_is_kept():
    recorder = Recorder()
    recorder.gate.clear()  # the broker is slow
    dispatcher = Dispatcher(recorder)

    for number in range(5):
        dispatcher.submit([("task", number, 5)])
    assert recorder.sent == []  # the caller was not held up

    recorder.gate.set()
    assert dispatcher.flush(timeout=10)
    assert recorder.sent == [[("task", number, 5)] for number in range(5)]
    assert set(recorder.threads) == {"crosspost-dispatch"}


def test_flush_times_out_while_a_send_is_stuck():
    recorder = Recorder()
    recorder.gate.clear()
    dispatcher = Dispatcher(recorder)
    dispatcher.submit(["stuck"])

    assert dispatcher.flush(timeout=0.2) is False
    recorder.gate.set()
    assert dispatcher.flush(timeout=10)
    assert recorder.sent == [["stuck"]]


def test_a_failed_send_is_logged_and_the_next_batch_still_goes(caplog):
    recorder = Recorder(fail_on=(["bad"],))
    dispatcher = Dispatcher(recorder)

    with caplog.at_level(logging.ERROR, logger="publishing.dispatch"):
        dispatcher.submit(["bad"])
        dispatcher.submit(["good"])
        assert dispatcher.flush(timeout=10)

    assert recorder.sent == [["good"]]
    assert "Sending cross-posts to the broker failed" in caplog.text


def test_inline_mode_sends_on_the_callers_thread():
    recorder = Recorder()
    dispatcher = Dispatcher(recorder, inline=True)

    dispatcher.submit(["now"])

    assert recorder.sent == [["now"]]  # no flush needed
    assert recorder.threads == [threading.current_thread().name]


def test_flush_with_nothing_submitted_returns_at_once():
    assert Dispatcher(Recorder()).flush(timeout=0) is True


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_sends_its_own_batches_and_never_the_parents():
    recorder = Recorder()
    recorder.gate.clear()
    dispatcher = Dispatcher(recorder)
    dispatcher.submit(["parent's"])  # queued, not yet sent, when the fork happens

    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            recorder.sent.clear()
            recorder.gate.set()
            dispatcher.submit(["child's"])
            flushed = dispatcher.flush(timeout=10)
            os.write(writer, json.dumps([flushed, recorder.sent]).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        flushed, child_sent = json.loads(pipe.read())
    os.waitpid(child, 0)

    assert flushed is True
    assert child_sent == [["child's"]]
    recorder.gate.set()
    assert dispatcher.flush(timeout=10)
    assert recorder.sent == [["parent's"]]


def test_a_process_that_exits_right_after_publishing_still_sends(tmp_path):
    """``publish_scheduled`` publishes and ends: the exit waits for the sender."""
    out = tmp_path / "sent.txt"
    script = f"""
import time
from publishing import dispatch

def slow_sender(batch):
    time.sleep(0.3)
    with open({str(out)!r}, "a") as sent:
        sent.write(repr(batch) + "\\n")

dispatch.dispatcher.sender = slow_sender
dispatch.dispatcher.submit([("deliver", 1, 5)])
dispatch.dispatcher.submit([("deliver", 2, 0)])
"""
    subprocess.run(  # noqa: S603 - this interpreter, a script written above
        [sys.executable, "-c", script], cwd=ROOT, check=True, timeout=30
    )

    assert out.read_text().splitlines() == [
        "[('deliver', 1, 5)]",
        "[('deliver', 2, 0)]",
    ]


def test_celery_worker_processes_send_inline(monkeypatch):
    from publishing import tasks

    monkeypatch.setattr(dispatch.dispatcher, "inline", False)
    assert tasks.send_follow_ups_inline in worker_init._live_receivers(sender=None)

    tasks.send_follow_ups_inline()

    assert dispatch.dispatcher.inline is True
