"""What users may say about themselves: profile fields and their own config
keys, with the limits that keep one user from filling the store."""
from __future__ import annotations

from typing import Any

import facade.core.identifiers as identifiers
from facade.core.outcomes import ConfigKeyInvalid, ConfigValueTooLarge, InvalidParameter

NICKNAME_MAX = 64                    # characters
EXTRA_MAX_BYTES = 64 * 1024          # UTF-8 bytes
GENDERS = (0, 1, 2, 9)               # ISO/IEC 5218: not known, male, female, not applicable
BIRTHDAY_MIN_MS = -2_208_988_800_000  # 1900-01-01T00:00:00Z
CONFIG_KEY_MAX = 64                  # characters
CONFIG_VALUE_MAX_BYTES = 64 * 1024   # UTF-8 bytes
CONFIG_KEYS_MAX = 100                # keys one user may hold


def fields(now: float, **given: Any) -> dict[str, Any]:
    """The store columns for the profile fields given (None: not given), checked and normalised."""
    checks = {"nickname": _nickname, "gender": _gender, "birthday": lambda v: _birthday(v, now),
              "contact_email": identifiers.email, "extra": _extra}
    return {name: checks[name](value) for name, value in given.items() if value is not None}


def _nickname(value: str) -> str:
    value = value.strip()
    if not value or len(value) > NICKNAME_MAX:
        raise InvalidParameter(f"nickname empty or longer than {NICKNAME_MAX}")
    return value


def _gender(value: int) -> int:
    if value not in GENDERS:
        raise InvalidParameter(f"gender not one of {GENDERS}")
    return value


def _birthday(value: int, now: float) -> int:
    if not BIRTHDAY_MIN_MS <= value <= now * 1000:
        raise InvalidParameter("birthday before 1900 or in the future")
    return value


def _extra(value: str) -> str:
    if len(value.encode("utf-8")) > EXTRA_MAX_BYTES:
        raise InvalidParameter(f"extra longer than {EXTRA_MAX_BYTES} bytes")
    return value


def config_entry(key: str, value: str) -> tuple[str, str]:
    if not key or len(key) > CONFIG_KEY_MAX:
        raise ConfigKeyInvalid(f"key empty or longer than {CONFIG_KEY_MAX}")
    if len(value.encode("utf-8")) > CONFIG_VALUE_MAX_BYTES:
        raise ConfigValueTooLarge(f"value longer than {CONFIG_VALUE_MAX_BYTES} bytes")
    return key, value
