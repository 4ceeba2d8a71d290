"""Uploaded images, decoded with Pillow and never trusted by name or
Content-Type: a file is an image only if Pillow reads it whole as one of
the allowed formats, within the size limits, checked before decoding so a
small file cannot make the server inflate a huge bitmap. What is kept is
the image drawn anew from its pixels, never the bytes as they came."""
from __future__ import annotations

import io
import re
import warnings

from PIL import Image

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
SAVE_OPTIONS = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}}


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


def redrawn(data: bytes, max_pixels: int = MAX_PIXELS) -> tuple[bytes, str]:
    """A valid image drawn anew from its decoded pixels, in its own format, and its file extension;
    InvalidImage otherwise. Only the pixels survive: metadata (EXIF with its GPS position, comments,
    colour profiles), bytes trailing the image, and any frame but the first are left behind. Its
    size is checked from the header before anything is decoded, so a small file cannot make the
    server inflate a huge bitmap."""
    if len(data) > MAX_BYTES:
        raise InvalidImage(f"larger than {MAX_BYTES} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                _check_size(*image.size, max_pixels)
                image.load()  # decodes it all: a truncated or corrupt file fails here
                return _drawn(image), FORMATS[image.format]
    except InvalidImage:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as error:
        raise InvalidImage(f"not a readable image: {type(error).__name__}") from None


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if width > MAX_SIDE or height > MAX_SIDE:
        raise InvalidImage(f"{width}x{height} is beyond {MAX_SIDE}x{MAX_SIDE}")
    if width * height > max_pixels:  # what decoding costs: about four bytes a pixel, twice over
        raise InvalidImage(f"{width}x{height} is more than {max_pixels} pixels")


def _drawn(image: Image.Image) -> bytes:
    out = io.BytesIO()
    options = {"transparency": image.info["transparency"]} if "transparency" in image.info else {}
    fresh = image.copy()  # pixels and palette only: no info, no EXIF travels with a copy into save()
    fresh.info = {}
    fresh.save(out, format=image.format, **options, **SAVE_OPTIONS.get(image.format, {}))
    return out.getvalue()
