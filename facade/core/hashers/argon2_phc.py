"""argon2 (PHC string), as argon2-cffi and Spring's Argon2PasswordEncoder write it."""
from __future__ import annotations

import argon2
from argon2 import low_level as argon2_low
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from facade.core.hashers.limits import ARGON2_MAX_LANES, ARGON2_MAX_MEMORY, ARGON2_MAX_WORK
from facade.core.hashers.reading import Format, utf8

ARGON2_TYPES = {"$argon2id$": argon2_low.Type.ID, "$argon2i$": argon2_low.Type.I}


def _argon2_type(payload: str) -> argon2_low.Type:
    for prefix, kind in ARGON2_TYPES.items():
        if payload.startswith(prefix):
            return kind
    raise ValueError(f"does not start with {' or '.join(ARGON2_TYPES)}")


def _argon2_read(payload: str) -> str:
    _argon2_type(payload)
    try:
        found = argon2.extract_parameters(payload)
    except InvalidHashError:
        raise ValueError("not an argon2 PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash)") from None
    if found.memory_cost > ARGON2_MAX_MEMORY or found.memory_cost * found.time_cost > ARGON2_MAX_WORK:
        raise ValueError(f"m={found.memory_cost}, t={found.time_cost} is above the {ARGON2_MAX_MEMORY} KiB"
                         f" and {ARGON2_MAX_WORK} KiB passes a login may spend")
    if found.parallelism > ARGON2_MAX_LANES:
        raise ValueError(f"p={found.parallelism} is above {ARGON2_MAX_LANES}")
    return payload


def _argon2_verify(password: str, payload: str) -> bool:
    kind = _argon2_type(_argon2_read(payload))
    try:
        return argon2_low.verify_secret(payload.encode("ascii"), utf8(password), kind)
    except VerifyMismatchError:
        return False
    except VerificationError as error:  # the payload itself did not decode
        raise ValueError(f"argon2: {error}") from None


FORMAT = Format(_argon2_verify, _argon2_read)
