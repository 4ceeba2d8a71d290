"""Uploaded images, never trusted by name or Content-Type: a file is an image
only if a decoder reads it whole as one of the allowed formats, within the
size limits, checked before decoding so a small file cannot make the server
inflate a huge bitmap. What is kept is the image drawn anew from its pixels,
never the bytes as they came. The decoder is given to the core (``Redraw``;
Pillow's is facade/images.py), so the core imports no imaging library."""
from __future__ import annotations

import re
from typing import Callable

from facade.core.outcomes import InvalidImage

FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}  # Pillow format -> file extension
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
AVATARS = "avatars"  # the folder, under the core's files, that avatars are kept in
AVATAR_NAME = re.compile(r"[0-9a-f]{32}\.(%s)" % "|".join(FORMATS.values()))  # the names the core makes
MAX_BYTES = 2 * 1024 * 1024
CLIENT_HOURLY_BYTES = 8 * MAX_BYTES  # what one client address may upload in any hour, unless config says otherwise
MIN_CHARGE = 4096  # what one upload costs that budget at least, however small the image
MAX_SIDE = 4096
MAX_PIXELS = 2048 * 2048  # unless config says otherwise (server.max_image_pixels)


NAME_EXTENSIONS = ("png", "jpg", "jpeg", "jpe", "jfif", "gif", "webp")


def check_filename(name: str) -> None:
    """A client's name for an image is never used, only judged: one with path
    characters, or an extension that is not an image's (shell.php), is an attack.
    No extension at all is fine: browsers send a Blob as "blob"."""
    if any(bad in name for bad in ("/", "\\", "\0", "..")):
        raise InvalidImage("the file's name holds a path")
    stem, dot, extension = name.rpartition(".")
    if dot and extension.lower() not in NAME_EXTENSIONS:
        raise InvalidImage("the file's name is not an image's")


# Bytes and the most pixels allowed -> the image drawn anew, and its file extension (one of FORMATS'
# values); raises InvalidImage for anything else. Pixels only: metadata, trailing bytes, later frames go.
Redraw = Callable[[bytes, int], tuple[bytes, str]]
