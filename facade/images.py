"""Images drawn anew with Pillow, by the core's rule for what an upload may be
(facade/core/images.py): what the core is given as its ``Redraw``."""
from __future__ import annotations

import io
import warnings

from PIL import Image

from facade.core.images import FORMATS, MAX_BYTES, MAX_PIXELS, MAX_SIDE
from facade.core.outcomes import InvalidImage

SAVE_OPTIONS = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}}


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
