"""Password schemes, in one registry looked up by the tag in front of each stored hash.

A stored hash reads ``<scheme>:<payload>``: the scheme name has no ':', the payload is
everything after the first ':'. ``sha256-bcrypt`` is the facade's own scheme, what
facade/core/passwords.py writes; rows written before tags existed hold its bcrypt string
alone (``$2b$...``) and are read as that scheme. Every other scheme is a legacy one: users
are imported with their hashes kept as the legacy system wrote them, checked at login, and
replaced with the own scheme after the first login that succeeds (``needs_upgrade`` says
when; the caller does the replacing), as Ory Kratos does (hash/hash_comparator.go).

Import: ``check_spec`` checks an import description's password entry before any row is
read; ``imported`` turns the entry, with a row's values filled in, into a stored hash. The
shape of every value is checked there and normalised (hex to lowercase, Shiro's hex to
base64, ...), so that a login only ever compares bytes, in constant time. Plain text is
never stored: a plain password is hashed at import (``from_plain``). Error messages never
repeat a value: a column mixed up at import could hold a plain password.

``verify`` and ``imported`` are CPU-bound and synchronous: run them off the event loop.
Every scheme reads a password as its UTF-8 bytes, as the Java and PHP systems we import
from did; lone surrogates (which JSON can carry) pass through as their own bytes instead
of raising, so no password can make ``verify`` raise.

One module per family, as Kratos keeps one file per hasher: ``own`` (sha256-bcrypt),
``jbcrypt`` (Spring's bcrypt), ``django`` (PBKDF2, and plain passwords hashed at import),
``crypt`` (libpass: $1$, $5$, $6$, $pbkdf2-...$), ``ldap`` ({SSHA} and kin), ``argon2_phc``,
``shiro``, ``spring`` (DelegatingPasswordEncoder's {id} prefixes), ``recipe`` and ``digests``
(a legacy system's own digests). ``registry`` maps a stored hash's tag to its scheme;
``imports`` maps an import entry's scheme to how it is stored; ``reading`` and ``limits``
hold what they all share: shape checks and work caps.
"""
from __future__ import annotations

from facade.core.hashers.django import PLAIN_ITERATIONS, from_plain
from facade.core.hashers.imports import IMPORTS, Entry, Importer, check_spec, imported, importer
from facade.core.hashers.own import OWN, own_hash
from facade.core.hashers.registry import AWAITING, HELD_ELSEWHERE, SCHEMES, Scheme, needs_upgrade, verify

__all__ = ["AWAITING", "HELD_ELSEWHERE", "IMPORTS", "OWN", "PLAIN_ITERATIONS", "SCHEMES", "Entry", "Importer", "Scheme",
           "check_spec", "from_plain", "imported", "importer", "needs_upgrade", "own_hash", "verify"]
