"""What every scheme shares: the Format a stored payload is read with, and the readers that
check a value's shape (base64, hex, counts) with messages that never repeat the value."""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping


@dataclass(frozen=True)
class Format:
    """How one stored payload is read. ``verify`` raises ValueError only when the payload cannot
    be read; ``read`` checks a payload's shape and returns it normalised, or raises ValueError
    saying what is wrong."""
    verify: Callable[[str, str], bool]
    read: Callable[[str], str]


def utf8(password: str) -> bytes:
    return password.encode("utf-8", "surrogatepass")


def digest_size(algorithm: str) -> int:
    return hashlib.new(algorithm).digest_size


def b64(text: str, size: int | None, what: str) -> bytes:
    """Standard base64 with padding; ``size`` is the byte length it must decode to, if fixed."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not base64") from None
    if size is not None and len(raw) != size:
        raise ValueError(f"{what} decodes to {len(raw)} bytes, not {size}")
    return raw


_HEX = re.compile(r"[0-9a-fA-F]*")
_COUNT = re.compile(r"[1-9][0-9]{0,9}")


def hex_of(text: str, size: int, what: str) -> str:
    """``text`` as lowercase hex of ``size`` bytes."""
    if len(text) != 2 * size or not _HEX.fullmatch(text):
        raise ValueError(f"{what} is not {2 * size} hex digits")
    return text.lower()


def unhex(text: str, what: str) -> bytes:
    if len(text) % 2 or not _HEX.fullmatch(text):
        raise ValueError(f"{what} is not hex")
    return bytes.fromhex(text)


def text_of(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} is not text")
    return value


def choice(table: Mapping[str, Any], key: Any) -> Any:
    """``table[key]``, or None for a key not in it, text or not (an import row may hold a list)."""
    return table.get(key) if isinstance(key, str) else None


def count(text: str | int, most: int, what: str) -> int:
    """An iteration count from 1 to ``most``, as decimal text without signs, spaces or leading zeros."""
    if isinstance(text, bool) or not isinstance(text, (str, int)) or not _COUNT.fullmatch(str(text)):
        raise ValueError(f"{what} is not a whole number from 1")
    if int(text) > most:
        raise ValueError(f"{what} {int(text)} is above the {most} a login may spend")
    return int(text)


def as_stored(tag: str, read: Callable[[str], str], spec: Mapping[str, Any]) -> str:
    """An import entry's value kept as the legacy system wrote it, checked and normalised, under ``tag``."""
    return f"{tag}:{read(text_of(spec['value'], 'value'))}"
