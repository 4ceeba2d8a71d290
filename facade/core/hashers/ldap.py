"""LDAP's RFC 2307 values: {SSHA}, {SHA}, {SSHA256}, {SSHA512}, {SMD5}, {MD5}, read by libpass."""
from __future__ import annotations

import re

from passlib import hash as libpass

from facade.core.hashers.crypt import Libpass
from facade.core.hashers.reading import Format

LDAP = Libpass({"{SSHA}": libpass.ldap_salted_sha1, "{SHA}": libpass.ldap_sha1,
                "{SSHA256}": libpass.ldap_salted_sha256, "{SSHA512}": libpass.ldap_salted_sha512,
                "{SMD5}": libpass.ldap_salted_md5, "{MD5}": libpass.ldap_md5})
_LDAP_LABEL = re.compile(r"\{[A-Za-z0-9]+\}")


def ldap_read(payload: str) -> str:
    """RFC 2307 labels are case-insensitive ('{ssha}' too); libpass reads them upper-case."""
    label = _LDAP_LABEL.match(payload)
    return LDAP.read(label.group().upper() + payload[label.end():] if label else payload)


FORMAT = Format(LDAP.verify, ldap_read)
