"""How phone numbers, e-mail addresses and usernames are checked and compared.

Every identifier is stored and compared in one normalised form, so
"+86 138-0013-8000", "8613800138000" and "13800138000" are the same phone.
A username may look like anything, a phone number or an address included
(the legacy servers set no rule): a login whose identifier has a phone's or
an address's shape looks for that phone or address first, then for the
username, as a legacy server that matched both columns did.
"""
from __future__ import annotations

import re
import unicodedata
from contextlib import suppress

from facade.core.outcomes import InvalidEmail, InvalidPhone, InvalidUsername
from facade.core.ports import Identifier

MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_NOISE = re.compile(r"[\s\-()]")
# One plain address: RFC 5322 atext in the local part and LDH labels in the
# domain. Nothing that a mail header would read as a display name, a group
# or a second recipient (<>,;:"() and spaces) gets through.
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
USERNAME_MAX = 64
USERNAME_WRITTEN_MAX = 4 * USERNAME_MAX  # code points before NFC, which may compose several into one
PHONE_WRITTEN_MAX = 64  # characters of a number as written, with its prefixes, spaces and dashes


# What callers put before a mainland number: the country code (the forms clients write it in), a trunk
# 0, and 17951 (China Mobile's IP dialling prefix), which old web clients accepted in the number field.
DIAL_PREFIXES = ("+86", "0086", "86", "17951", "0")


def phone(raw: str) -> str:
    if len(raw) > PHONE_WRITTEN_MAX:
        raise InvalidPhone("not a mainland mobile number")
    digits = _PHONE_NOISE.sub("", raw)
    if not MAINLAND_MOBILE.fullmatch(digits):
        for prefix in DIAL_PREFIXES:
            if digits.startswith(prefix) and MAINLAND_MOBILE.fullmatch(digits[len(prefix):]):
                digits = digits[len(prefix):]
                break
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
    value = raw.strip()
    if len(value) > USERNAME_WRITTEN_MAX:  # before normalising: NFC's work grows with what it is given
        raise InvalidUsername("empty or longer than %d" % USERNAME_MAX)
    if not (value.isascii() and value.isprintable()):  # printable ASCII is its own NFC and holds no controls
        value = unicodedata.normalize("NFC", value)
        if any(unicodedata.category(ch).startswith("C") for ch in value):
            raise InvalidUsername("control characters")
    if not value or len(value) > USERNAME_MAX:
        raise InvalidUsername("empty or longer than %d" % USERNAME_MAX)
    return value


def username_key(display: str) -> str:
    """The form usernames are compared in: 'Alice' and 'ａｌｉｃｅ' collide."""
    return unicodedata.normalize("NFKC", display).casefold()


def _looks_like_phone(value: str) -> bool:
    if not value or value[0] not in "+0123456789(":  # no phone begins otherwise: the quick answer
        return False
    try:
        phone(value)
    except InvalidPhone:
        return False
    return True


def contact(raw: str) -> tuple[str, Identifier]:
    """Where a code for ``raw`` goes: its channel, and the phone or e-mail address."""
    if "@" in raw:
        return "email", Identifier("email", email(raw))
    return "sms", Identifier("phone", phone(raw))


def classify(identifier: str) -> list[Identifier]:
    """What a login identifier may name, normalised, in the order to look: an address or a phone by
    its shape first, then a username (which may have any shape)."""
    value = identifier.strip()
    try:
        named = [Identifier("username", username_key(username(value)))]
    except InvalidUsername:  # no username can be this (control characters, too long): look for none
        named = []
    if "@" in value:
        with suppress(InvalidEmail):
            return [Identifier("email", email(value)), *named]
    elif _looks_like_phone(value):
        return [Identifier("phone", phone(value)), *named]
    return named
