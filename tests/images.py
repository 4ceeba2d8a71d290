"""Image files for upload tests, made here rather than kept as binaries."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def image(fmt: str = "PNG", size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: a decompression bomb's shape."""
    data = bytearray(image("PNG", (1, 1)))
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr:ihdr + 8] = struct.pack(">II", width, height)
    data[ihdr + 13:ihdr + 17] = struct.pack(">I", zlib.crc32(bytes(data[ihdr - 4:ihdr + 13])))
    return bytes(data)


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><script>alert(1)</script></svg>'
PHP = b"<?php system($_GET['c']); ?>"


def marked_jpeg() -> bytes:
    """A 64x48 JPEG with a GPS position and a description in its EXIF, and bytes after its end."""
    exif = Image.Exif()
    exif[0x010E] = "GPS-MARK"  # ImageDescription
    exif.get_ifd(0x8825).update({1: "N", 2: (39.0, 54.0, 27.0)})  # GPSLatitudeRef, GPSLatitude
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="JPEG", exif=exif)
    return out.getvalue() + b"TRAILER-MARK"


def webp_bomb(side: int) -> bytes:
    """A black square, lossless: a few hundred bytes however many pixels."""
    out = io.BytesIO()
    Image.new("RGB", (side, side)).save(out, format="WEBP", lossless=True)
    return out.getvalue()
