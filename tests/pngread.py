"""Read a PNG's pixels with zlib and numpy alone (8-bit RGB or RGBA, not interlaced: chromium's screenshots)."""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from pathlib import Path

import numpy as np


def pixels(path: Path) -> np.ndarray:
    """The image as an array (height, width, 3) of RGB bytes (alpha dropped)."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG ({depth}-bit, type {colour})"
    bpp = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, width * bpp + 1)
    out = np.zeros((height, width, bpp), dtype=np.uint8)
    previous = np.zeros((width, bpp), dtype=np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].reshape(width, bpp).astype(np.int32)
        if kind == 1:  # each byte adds the one a pixel to its left: a running sum along the line
            line = np.cumsum(line, axis=0) & 255
        elif kind == 2:
            line = (line + previous) & 255
        elif kind in (3, 4):  # average and Paeth read the pixel just decoded: one pixel at a time
            for x in range(width):
                left = line[x - 1] if x else np.zeros(bpp, dtype=np.int32)
                up, corner = previous[x], previous[x - 1] if x else np.zeros(bpp, dtype=np.int32)
                if kind == 3:
                    line[x] = (line[x] + (left + up) // 2) & 255
                else:
                    p = left + up - corner
                    pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - corner)
                    guess = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, corner))
                    line[x] = (line[x] + guess) & 255
        out[y] = line
        previous = line
    return out[:, :, :3]


def colours(path: Path) -> Counter:
    """How many pixels of each (r, g, b) colour the image has."""
    flat = pixels(path).reshape(-1, 3).astype(np.uint32)
    values, counts = np.unique(flat[:, 0] << 16 | flat[:, 1] << 8 | flat[:, 2], return_counts=True)
    return Counter({(int(v) >> 16, int(v) >> 8 & 255, int(v) & 255): int(n) for v, n in zip(values, counts)})
