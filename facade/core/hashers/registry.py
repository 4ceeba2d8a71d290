"""The stored schemes, one table looked up by the tag in front of each stored hash (as Ory
Kratos' hash/hash_comparator.go picks a comparator by prefix): ``verify`` and ``needs_upgrade``
read a stored value through the scheme its tag names."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from facade.core.hashers import argon2_phc, django, jbcrypt, ldap, own, recipe, shiro, spring
from facade.core.hashers.crypt import MD5_CRYPT, PASSLIB_PBKDF2, SHA256_CRYPT, SHA512_CRYPT
from facade.core.hashers.limits import LEGACY_PASSWORD_MAX_BYTES
from facade.core.hashers.own import OWN
from facade.core.hashers.reading import Format, utf8

# The tag of a password the legacy server still holds (an import brought the user without a usable hash):
# nothing matches it here; the first login asks the legacy server (lazy migration) and stores the own scheme.
AWAITING = "upstream:"
HELD_ELSEWHERE = frozenset({AWAITING[:-1]})  # tags that hold no hash at all: no password verifies against them


@dataclass(frozen=True)
class Scheme:
    """A stored form, by tag. ``outdated(payload, rounds)`` says whether a login should replace
    it with the own scheme at ``rounds``; ``max_password_bytes`` bounds the password it is
    asked to check (longer ones are refused at once)."""
    format: Format
    outdated: Callable[[str, int | None], bool] = lambda payload, rounds: True
    max_password_bytes: int | None = LEGACY_PASSWORD_MAX_BYTES


SCHEMES: dict[str, Scheme] = {
    OWN: Scheme(own.FORMAT, own.outdated, None),
    "bcrypt": Scheme(jbcrypt.FORMAT),
    "django-pbkdf2": Scheme(django.FORMAT),
    "passlib-pbkdf2": Scheme(Format(PASSLIB_PBKDF2.verify, PASSLIB_PBKDF2.read)),
    "md5-crypt": Scheme(Format(MD5_CRYPT.verify, MD5_CRYPT.read)),
    "sha256-crypt": Scheme(Format(SHA256_CRYPT.verify, SHA256_CRYPT.read)),
    "sha512-crypt": Scheme(Format(SHA512_CRYPT.verify, SHA512_CRYPT.read)),
    "ldap": Scheme(ldap.FORMAT),
    "argon2": Scheme(argon2_phc.FORMAT),
    "shiro": Scheme(shiro.FORMAT),
    "spring": Scheme(spring.FORMAT),
    "recipe": Scheme(recipe.FORMAT),
    AWAITING[:-1]: Scheme(Format(lambda password, payload: False, lambda payload: "")),
}


_TAG = re.compile(r"[a-z0-9-]{1,32}")  # a tag shown in an error; anything else may be a password


def _split(stored: str) -> tuple[Scheme, str]:
    if stored.startswith("$2b$") and ":" not in stored:
        return SCHEMES[OWN], stored  # written before tags: the own scheme
    tag, colon, payload = stored.partition(":")
    scheme = SCHEMES.get(tag) if colon else None
    if scheme is None:
        raise ValueError(f"unknown scheme {tag!r}" if colon and _TAG.fullmatch(tag) else "no scheme tag")
    return scheme, payload


def verify(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from, compared in constant time.
    Never raises for a wrong password; raises ValueError only for a stored value that no
    scheme can read."""
    scheme, payload = _split(stored)
    if scheme.max_password_bytes is not None and len(utf8(password)) > scheme.max_password_bytes:
        scheme.format.read(payload)
        return False
    return scheme.format.verify(password, payload)


def needs_upgrade(stored: str, rounds: int | None = None) -> bool:
    """True for every scheme but the own one, and for the own one at a bcrypt cost below
    ``rounds`` if given. A value written before tags is the own scheme (a migration tags it).
    Raises ValueError, as ``verify`` does, for a value that names no known scheme."""
    scheme, payload = _split(stored)
    return scheme.outdated(payload, rounds)
