"""Tiny MP4 encoder (PyAV) for test and demo videos: a real, playable file of
a few grey frames, padded to any size with an ISO ``free`` box."""

from __future__ import annotations

import io
import struct

import av


def make_mp4(size: int = 0, frames: int = 10) -> bytes:
    """An MP4 of ``frames`` grey 64 × 48 frames at 10 a second, padded with a
    ``free`` box (which players skip) to at least ``size`` bytes."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as media:
        stream = media.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(frames):
            frame = av.VideoFrame(64, 48, "yuv420p")
            for plane in frame.planes:
                plane.update(b"\x80" * plane.buffer_size)
            frame.pts = index
            media.mux(stream.encode(frame))
        media.mux(stream.encode())
    data = out.getvalue()
    padding = max(0, size - len(data) - 8)
    return data + struct.pack(">I", padding + 8) + b"free" + bytes(padding)
