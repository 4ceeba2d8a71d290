"""How phone numbers, e-mail addresses and usernames are checked and compared.

Every identifier is stored and compared in one normalised form, so
"+86 138-0013-8000" and "13800138000" are the same phone. A username may
not look like a phone or an e-mail address: login picks the column by the
identifier's shape, and that only stays unambiguous if shapes never overlap.
"""
from __future__ import annotations

import re
import unicodedata

from facade.core.outcomes import InvalidEmail, InvalidPhone, InvalidUsername

MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_NOISE = re.compile(r"[\s\-()]")
# One plain address: RFC 5322 atext in the local part and LDH labels in the
# domain. Nothing that a mail header would read as a display name, a group
# or a second recipient (<>,;:"() and spaces) gets through.
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
USERNAME_MAX = 64


def phone(raw: str) -> str:
    digits = _PHONE_NOISE.sub("", raw)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    if not MAINLAND_MOBILE.fullmatch(digits):
        raise InvalidPhone("not a mainland mobile number")
    return digits


def email(raw: str) -> str:
    value = raw.strip().lower()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise InvalidEmail("not an e-mail address")
    return value


def username(raw: str) -> str:
    """The display form; raises if the name is unusable."""
    value = unicodedata.normalize("NFC", raw.strip())
    if not value or len(value) > USERNAME_MAX:
        raise InvalidUsername("empty or longer than %d" % USERNAME_MAX)
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise InvalidUsername("control characters")
    if "@" in value or _looks_like_phone(value):
        raise InvalidUsername("looks like a phone or an e-mail address")
    return value


def username_key(display: str) -> str:
    """The form usernames are compared in: 'Alice' and 'ａｌｉｃｅ' collide."""
    return unicodedata.normalize("NFKC", display).casefold()


def _looks_like_phone(value: str) -> bool:
    try:
        phone(value)
    except InvalidPhone:
        return False
    return True


def contact(raw: str) -> tuple[str, str, str]:
    """Where a code for ``raw`` goes: (channel, store column, normalised value)."""
    if "@" in raw:
        return "email", "email", email(raw)
    return "sms", "phone", phone(raw)


def classify(identifier: str) -> tuple[str, str]:
    """The store column a login identifier names, and its normalised value."""
    value = identifier.strip()
    if "@" in value:
        return "email", email(value)
    if _looks_like_phone(value):
        return "phone", phone(value)
    return "username_key", username_key(value)
