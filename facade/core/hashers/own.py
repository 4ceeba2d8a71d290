"""The facade's own scheme, ``sha256-bcrypt``: bcrypt over base64(SHA-256(password)), so long
passwords keep working. What facade/core/passwords.py writes; rows written before tags
existed hold its bcrypt string alone (``$2b$...``)."""
from __future__ import annotations

import base64
import hashlib
import re

import bcrypt

from facade.core.hashers.limits import BCRYPT_MAX_COST
from facade.core.hashers.reading import Format, utf8

OWN = "sha256-bcrypt"


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(utf8(password)).digest())


_OWN_SHAPE = re.compile(r"\$2b\$(\d\d)\$[./A-Za-z0-9]{53}")


def bcrypt_cost(payload: str, shape: re.Pattern[str], most: int, what: str) -> int:
    match = shape.fullmatch(payload)
    if match is None:
        raise ValueError(f"not a {what} hash (60 characters)")
    cost = int(match.group(1))
    if not 4 <= cost <= most:
        raise ValueError(f"bcrypt cost {cost} is outside 4..{most}")
    return cost


def _own_read(payload: str) -> str:
    bcrypt_cost(payload, _OWN_SHAPE, BCRYPT_MAX_COST, "$2b$ bcrypt")
    return payload


def _own_verify(password: str, payload: str) -> bool:
    # No cost cap here: the cost is the operator's, who may raise it past what import allows.
    bcrypt_cost(payload, _OWN_SHAPE, 31, "$2b$ bcrypt")
    return bcrypt.checkpw(_prehash(password), payload.encode("ascii"))


def outdated(payload: str, rounds: int | None) -> bool:
    return rounds is not None and bcrypt_cost(payload, _OWN_SHAPE, 31, "$2b$ bcrypt") < rounds


def own_hash(password: str, rounds: int) -> str:
    """The facade's own scheme, tagged: what a password is stored as from now on."""
    hashed = bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode("ascii")
    return f"{OWN}:{hashed}"


FORMAT = Format(_own_verify, _own_read)
