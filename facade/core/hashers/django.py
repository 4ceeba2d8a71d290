"""Django's PBKDF2PasswordHasher: algorithm$iterations$salt$base64(hash); the salt is text.
Plain legacy passwords are stored in this format too, hashed at import (``from_plain``)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from facade.core.hashers.limits import LEGACY_PASSWORD_MAX_BYTES, PBKDF2_MAX_ITERATIONS
from facade.core.hashers.reading import Format, b64, count, digest_size, text_of, utf8

DJANGO_ALGORITHMS = {"pbkdf2_sha256": "sha256", "pbkdf2_sha1": "sha1"}
# PBKDF2-HMAC-SHA256 iterations for a plain password at import: 1.6 ms a password on a 2-core
# AMD EPYC VM (2,000: 1.2 ms; 3,000: 1.9 ms). Enough that the import file's passwords are no
# longer plain; the hash lives only until that user's first login.
PLAIN_ITERATIONS = 2_500


def _django_parts(payload: str) -> tuple[str, int, bytes, bytes]:
    parts = payload.split("$", 3)
    if len(parts) < 4:
        raise ValueError("not algorithm$iterations$salt$hash")
    algorithm, iterations, salt, encoded = parts
    digest = DJANGO_ALGORITHMS.get(algorithm)
    if digest is None:
        raise ValueError(f"Django algorithm is not one of {', '.join(DJANGO_ALGORITHMS)}")
    rounds = count(iterations, PBKDF2_MAX_ITERATIONS, "iterations")
    return digest, rounds, salt.encode("utf-8"), b64(encoded, digest_size(digest), "the hash")


def _django_read(payload: str) -> str:
    _django_parts(payload)
    return payload


def _django_verify(password: str, payload: str) -> bool:
    digest, iterations, salt, expected = _django_parts(payload)
    return hmac.compare_digest(hashlib.pbkdf2_hmac(digest, utf8(password), salt, iterations), expected)


def from_plain(password: str, iterations: int = PLAIN_ITERATIONS) -> str:
    """A plain legacy password as a stored hash: PBKDF2-HMAC-SHA256 with 16 random bytes of
    salt, in Django's format under ``django-pbkdf2``. Django keeps the salt as text and hashes
    its UTF-8: hex keeps it in the alphabet Django and libpass both write."""
    count(iterations, PBKDF2_MAX_ITERATIONS, "iterations")
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", utf8(password), salt.encode("ascii"), iterations)
    return f"django-pbkdf2:pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode('ascii')}"


def plain(password: Any) -> str:
    """A plain password from an import row, refused if empty or past what a login checks, then hashed."""
    password = text_of(password, "the password")
    if not password:
        raise ValueError("the password is empty")
    if len(utf8(password)) > LEGACY_PASSWORD_MAX_BYTES:
        raise ValueError(f"the password is longer than {LEGACY_PASSWORD_MAX_BYTES} bytes")
    return from_plain(password)


FORMAT = Format(_django_verify, _django_read)
