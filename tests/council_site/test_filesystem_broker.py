"""The embedded filesystem broker never shows a worker half a message."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from queue import Empty

import pytest
from django.conf import settings
from kombu import Connection

from council_site import filesystem_broker

QUEUE = "crosspost"
ROOT = Path(__file__).resolve().parents[2]


def channel_for(folder):
    connection = Connection(
        transport=filesystem_broker.Transport,
        transport_options={
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "store_processed": False,
        },
    )
    return connection, connection.channel()


def test_the_message_is_complete_before_its_name_is_in_the_queue(tmp_path, monkeypatch):
    connection, channel = channel_for(tmp_path)
    seen_while_writing = []
    real_replace = os.replace

    def replace(source, target):
        # The last moment before the message becomes visible: a reader now finds
        # nothing, and the written file already holds the whole message.
        with pytest.raises(Empty):
            channel._get(QUEUE)
        with open(source, "rb") as written:
            seen_while_writing.append(written.read())
        real_replace(source, target)

    monkeypatch.setattr(filesystem_broker.os, "replace", replace)
    channel._put(QUEUE, {"body": "row 7"})

    assert b'"row 7"' in seen_while_writing[0]
    assert channel._get(QUEUE) == {"body": "row 7"}
    assert os.listdir(tmp_path) == []  # taken, and nothing partial left behind
    connection.release()


# A worker taking messages as fast as it can, in a process of its own as in life:
# prints how many it read whole and how many it could not decode.
READER = """
import json, sys, time
from queue import Empty
from kombu import Connection

folder, transport, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
options = {"data_folder_in": folder, "data_folder_out": folder,
           "store_processed": False}
channel = Connection(transport=transport, transport_options=options).channel()
whole = broken = 0
deadline = time.monotonic() + 30
while whole + broken < total and time.monotonic() < deadline:
    try:
        channel._get("crosspost")
        whole += 1
    except Empty:
        time.sleep(0.0005)
    except ValueError:
        broken += 1
print(json.dumps([whole, broken]))
"""


def test_a_worker_racing_two_publishing_threads_gets_every_message_whole(tmp_path):
    """Two threads publish while a third keeps the interpreter busy, as in a
    threaded web server. kombu's own transport fails this: the worker takes most
    files before they are written."""
    total = 120
    transport = "council_site.filesystem_broker:Transport"
    reader = subprocess.Popen(  # noqa: S603 - this interpreter, the script above
        [sys.executable, "-c", READER, str(tmp_path), transport, str(total)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    connection, channel = channel_for(tmp_path)
    busy = threading.Event()
    busy.set()

    def keep_busy() -> None:
        while busy.is_set():
            sum(range(1000))

    def publish(first: int) -> None:
        for number in range(first, total, 2):
            channel._put(QUEUE, {"n": number})
            time.sleep(0.001)

    threads = [threading.Thread(target=keep_busy)] + [
        threading.Thread(target=publish, args=(first,)) for first in (0, 1)
    ]
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join(30)
    try:
        whole, broken = json.loads(reader.communicate(timeout=60)[0])
    finally:
        busy.clear()
        threads[0].join()
        connection.release()

    assert (whole, broken) == (total, 0)


@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("filesystem"),
    reason="the embedded broker is used only without Redis",
)
def test_the_embedded_broker_is_this_transport_and_connects_quietly(caplog):
    from council_site.celery import app

    with caplog.at_level(logging.WARNING, logger="kombu"):
        with app.connection_for_write() as connection:
            assert connection.get_transport_cls() is filesystem_broker.Transport
            connection.info()  # what pools do for every connection they clone

    assert caplog.records == []  # no "No hostname was supplied" each time
