"""Spring Security's DelegatingPasswordEncoder: "{id}" + what that id's encoder wrote, for the
ids of its default encoders read here (bcrypt, MD5, SHA-1, SHA-256, ldap, argon2); the others
are refused with the reason. {noop} and a bare {ldap} hold the password itself: an import
hashes it."""
from __future__ import annotations

import functools
import hashlib
import hmac
import re
from typing import Any, Mapping

from facade.core.hashers import argon2_phc, jbcrypt
from facade.core.hashers.django import plain
from facade.core.hashers.ldap import LDAP, ldap_read
from facade.core.hashers.reading import Format, as_stored, digest_size, hex_of, text_of, utf8


# -- MessageDigestPasswordEncoder: "{salt}" + hex(digest(password + "{salt}")), the braces part
# of what is hashed; no "{salt}" at all when there was no salt

def _message_digest_parts(digest: str, payload: str) -> tuple[str, str]:
    salt_end = payload.find("}") + 1 if payload.startswith("{") else 0
    salt, hexed = payload[:salt_end], payload[salt_end:]
    return salt, hex_of(hexed, digest_size(digest), f"the {digest} digest (after any {{salt}})")


def _message_digest_read(digest: str, payload: str) -> str:
    salt, hexed = _message_digest_parts(digest, payload)
    return salt + hexed


def _message_digest_verify(digest: str, password: str, payload: str) -> bool:
    salt, expected = _message_digest_parts(digest, payload)
    computed = hashlib.new(digest, utf8(password + salt)).hexdigest()
    return hmac.compare_digest(computed.encode("ascii"), expected.encode("ascii"))


def _message_digest(digest: str) -> Format:
    return Format(functools.partial(_message_digest_verify, digest), functools.partial(_message_digest_read, digest))


# -- LdapShaPasswordEncoder: {SHA} or {SSHA} (either case); anything else not starting with '{'
# is plain text, which Spring compares as it is

_SPRING_LDAP_LABEL = re.compile(r"\{(SHA|SSHA|sha|ssha)\}")


def _spring_ldap_read(payload: str) -> str:
    if not _SPRING_LDAP_LABEL.match(payload):
        raise ValueError("Spring's LdapShaPasswordEncoder reads only {SHA} and {SSHA}")
    return ldap_read(payload)


def _spring_ldap_verify(password: str, payload: str) -> bool:
    return LDAP.verify(password, _spring_ldap_read(payload))


SPRING = {
    "bcrypt": jbcrypt.FORMAT,
    "MD5": _message_digest("md5"),
    "SHA-1": _message_digest("sha1"),
    "SHA-256": _message_digest("sha256"),
    "ldap": Format(_spring_ldap_verify, _spring_ldap_read),
    "argon2": argon2_phc.FORMAT,
    "argon2@SpringSecurity_v5_8": argon2_phc.FORMAT,
}
SPRING_REFUSED = {
    "noop": "plain text is never stored (an import hashes it)",
    "pbkdf2": "Pbkdf2PasswordEncoder's secret, iterations and hash width are its configuration,"
              " not part of the stored value",
    "pbkdf2@SpringSecurity_v5_8": "Pbkdf2PasswordEncoder's secret is its configuration, not part of the stored value",
    "sha256": "StandardPasswordEncoder mixes in a secret that is its configuration, not part of the stored value",
    "scrypt": "SCryptPasswordEncoder values are not read here",
    "scrypt@SpringSecurity_v5_8": "SCryptPasswordEncoder values are not read here",
    "MD4": "MD4 is not offered by this service's hashlib",
}
_SPRING_ID = re.compile(r"\{([A-Za-z0-9@._-]{1,40})\}")


def _spring_split(payload: str) -> tuple[Format, str, str]:
    """(the id's format, the id, what follows it); raises for an id Spring's default
    encoders do not have, or one refused here, with the reason."""
    match = _SPRING_ID.match(payload)
    if match is None:
        raise ValueError("does not start with Spring's {id}")
    name = match.group(1)
    if name in SPRING_REFUSED:
        raise ValueError(f"{{{name}}} is refused: {SPRING_REFUSED[name]}")
    found = SPRING.get(name)
    if found is None:
        raise ValueError(f"not a Spring encoder id read here (known: {', '.join(SPRING)})")
    return found, name, payload[match.end():]


def _spring_read(payload: str) -> str:
    found, name, rest = _spring_split(payload)
    return f"{{{name}}}{found.read(rest)}"


def _spring_verify(password: str, payload: str) -> bool:
    found, _, rest = _spring_split(payload)
    return found.verify(password, rest)


FORMAT = Format(_spring_verify, _spring_read)


def imported(spec: Mapping[str, Any]) -> str:
    value = text_of(spec["value"], "value")
    held = _spring_plain(value)
    return plain(held) if held is not None else as_stored("spring", _spring_read, spec)


def _spring_plain(value: str) -> str | None:
    """The password a Spring value holds in the clear, if it does: {noop}, or {ldap} with no
    {SHA}/{SSHA} label (LdapShaPasswordEncoder then compares the text as it is)."""
    if value.startswith("{noop}"):
        return value[len("{noop}"):]
    if value.startswith("{ldap}") and not value.startswith("{ldap}{"):
        return value[len("{ldap}"):]
    return None
