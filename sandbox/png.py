"""Tiny dependency-free PNG encoder for the seed images."""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache


def _chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


# Every reset of the sandbox draws the same dozen seed images again, and drawing
# one pixel at a time is nearly all a reset costs: keep the last ones drawn.
@lru_cache(maxsize=64)
def make_png(
    width: int,
    height: int,
    colour: tuple[int, int, int],
    accent: tuple[int, int, int] = (255, 255, 255),
) -> bytes:
    """Return an RGB PNG: a solid ``colour`` field with a diagonal ``accent`` band.

    The band makes each seed image visibly different from a blank square while
    keeping the files a few hundred bytes long.
    """
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type "None" for this scanline
        for x in range(width):
            on_band = abs(x - y * width // max(height, 1)) < max(width // 10, 2)
            rows.extend(accent if on_band else colour)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )
