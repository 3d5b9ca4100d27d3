"""The embedded broker for a machine without Redis: kombu's filesystem transport,
with every message complete before a worker can see it.

kombu creates a message file under its final name and only then writes it. A
worker listing the folder in between takes the empty file, fails to decode it and
stops consuming (kombu issue #1551), and the message is lost. A thread that
publishes while another thread of its process is busy (a threaded web server)
widens that window from microseconds to a thread switch.

Here each message is written under a name no queue reads, then renamed to its
final name, which is atomic within one folder. Names and their order are
kombu's own, so the reading side is unchanged.

It also creates its folders when it connects, whichever process is first.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps

#: Written files start with this, so no queue's ``<stamp>_<uuid>.<queue>.msg``
#: pattern matches them until they are renamed.
PARTIAL_PREFIX = ".partial-"


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # kombu expects its folders to exist, and any process (web, worker, beat,
        # a test sending before a worker starts) may be the first to connect.
        for folder in (
            self.data_folder_in,
            self.data_folder_out,
            self.control_folder,
            self.processed_folder,
        ):
            os.makedirs(folder, exist_ok=True)

    def _put(self, queue, payload, **kwargs):
        """Put ``payload`` on ``queue``: written whole, then renamed into view."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, PARTIAL_PREFIX + name)
        try:
            with open(partial, "wb") as message:
                message.write(dumps(payload).encode())
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
