"""What reads a parameter: its wire type's conversion, then the transforms a mapping lists, in order.

Each takes what the wire carried (a string, or a JSON scalar) and returns
the value the core expects, or raises InvalidParameter.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date, datetime, timezone
from typing import Any, Callable

from facade.core import identifiers
from facade.core.outcomes import InvalidParameter
from facade.dialect.sources import Upload

_INT = re.compile(r"[+-]?[0-9]{1,18}")
# The spellings Spring's StringToBooleanConverter took, which the legacy clients relied on.
_BOOLS = {"true": True, "on": True, "yes": True, "1": True,
          "false": False, "off": False, "no": False, "0": False}


def to_str(value: Any) -> str:
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate from a JSON \ud800 escape
                raise InvalidParameter("not valid Unicode") from None
        if "\x00" in value:  # no text column holds it (PostgreSQL refuses it), and no legacy value had one
            raise InvalidParameter("a NUL character")
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise InvalidParameter(f"expected a scalar, got {type(value).__name__}")


def text_or_none(value: Any) -> str | None:
    """Null stays null, so a missing value is never turned into "None"."""
    return None if value is None else to_str(value)


def to_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = to_str(value).strip()
    if not _INT.fullmatch(text):
        raise InvalidParameter("not an integer")
    return int(text)


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = to_str(value).strip().lower()
    if text not in _BOOLS:
        raise InvalidParameter("not a boolean")
    return _BOOLS[text]


def to_epoch_ms(value: Any) -> int:
    """Epoch milliseconds as given, or a ``YYYY-MM-DD`` date at UTC midnight."""
    text = to_str(value).strip()
    if _INT.fullmatch(text):
        return int(text)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidParameter("not epoch milliseconds or a date") from None
    midnight = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return int(midnight.timestamp() * 1000)


def from_base64(value: Any) -> str:
    """Standard base64 of UTF-8 text. A space is read as '+': old clients put
    base64 into forms unescaped, and a form decodes '+' as a space."""
    try:
        return base64.b64decode(to_str(value).strip().replace(" ", "+"), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # ValueError: text outside ASCII, which no base64 holds
        raise InvalidParameter("not base64 of UTF-8 text") from None


def to_json_object(value: Any) -> dict[str, Any]:
    """A JSON object sent as text (a header cannot carry anything else), or one already parsed."""
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(to_str(value))
    except (ValueError, RecursionError):  # RecursionError: nested beyond reason
        raise InvalidParameter("not JSON") from None
    if not isinstance(parsed, dict):
        raise InvalidParameter("not a JSON object")
    return parsed


def to_file(value: Any) -> bytes:
    """An uploaded file's bytes."""
    return _upload(value).data


def to_filename(value: Any) -> str:
    """The name the client gave an uploaded file ("" for none), for the core to judge."""
    return _upload(value).filename or ""


def _upload(value: Any) -> Upload:
    if not isinstance(value, Upload):
        raise InvalidParameter("not a file")
    return value


def to_phone(value: Any) -> str:
    """For a parameter the wire names a phone: an e-mail address there is refused, not used."""
    return identifiers.phone(to_str(value))


# A parameter's wire type, by its name in a mapping, as the transform that reads it.
TYPES = {"string": "str", "integer": "int", "boolean": "bool", "object": "json_object", "file": "file"}
FILENAME = "filename"  # a file's name instead of its bytes
TRANSFORMS: dict[str, Callable[[Any], Any]] = {
    "str": to_str,
    "int": to_int,
    "bool": to_bool,
    "epoch_ms": to_epoch_ms,
    "base64": from_base64,
    "phone": to_phone,
    "json_object": to_json_object,
    "file": to_file,
    "filename": to_filename,
}
NAMES = {fn: name for name, fn in TRANSFORMS.items()}  # a conversion's name, for documents and type checks
