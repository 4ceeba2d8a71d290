"""bcrypt as Spring's BCryptPasswordEncoder (jBCrypt) wrote it: no pre-hash, and only the
first 72 bytes count (bcrypt >= 5 raises for more, so they are cut here, as jBCrypt did)."""
from __future__ import annotations

import re

import bcrypt

from facade.core.hashers.limits import BCRYPT_MAX_COST
from facade.core.hashers.own import bcrypt_cost
from facade.core.hashers.reading import Format, utf8

_BCRYPT_SHAPE = re.compile(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}")


def _bcrypt_read(payload: str) -> str:
    bcrypt_cost(payload, _BCRYPT_SHAPE, BCRYPT_MAX_COST, "$2a$/$2b$/$2y$ bcrypt")
    return payload


def _bcrypt_verify(password: str, payload: str) -> bool:
    return bcrypt.checkpw(utf8(password)[:72], _bcrypt_read(payload).encode("ascii"))


FORMAT = Format(_bcrypt_verify, _bcrypt_read)
