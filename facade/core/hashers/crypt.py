"""Formats libpass reads, the handler picked by the payload's prefix: crypt's $1$, $5$ and $6$,
and libpass's own $pbkdf2-...$ strings."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from passlib import hash as libpass
from passlib.exc import PasswordValueError

from facade.core.hashers.limits import PBKDF2_MAX_ITERATIONS, SHA_CRYPT_MAX_ROUNDS
from facade.core.hashers.reading import utf8


@dataclass(frozen=True)
class Libpass:
    handlers: Mapping[str, Any]  # payload prefix -> libpass handler
    max_rounds: int | None = None  # None: the format's cost is fixed

    def handler(self, payload: str) -> Any:
        for prefix, handler in self.handlers.items():
            if payload.startswith(prefix):
                return handler
        raise ValueError(f"does not start with {' or '.join(self.handlers)}")

    def read(self, payload: str) -> str:
        handler = self.handler(payload)
        try:
            parsed = handler.from_string(payload)
        except (ValueError, TypeError) as error:
            raise ValueError(_reason(error, handler.name)) from None
        if self.max_rounds is not None and parsed.rounds > self.max_rounds:
            raise ValueError(f"rounds {parsed.rounds} is above the {self.max_rounds} a login may spend")
        return payload

    def verify(self, password: str, payload: str) -> bool:
        try:
            return self.handler(self.read(payload)).verify(utf8(password), payload)
        except PasswordValueError:  # a password crypt cannot take (a NUL byte): it was never this one
            return False


def _reason(error: Exception, name: str) -> str:
    """libpass's reason, unless it quotes the value (an int() of a mixed-up column may be a password):
    an import report must never echo a secret."""
    said = str(error)
    return f"not a well-formed {name} hash" if any(q in said for q in "'\"") or len(said) > 120 else said


PASSLIB_PBKDF2 = Libpass({"$pbkdf2-sha256$": libpass.pbkdf2_sha256, "$pbkdf2-sha512$": libpass.pbkdf2_sha512,
                          "$pbkdf2$": libpass.pbkdf2_sha1}, PBKDF2_MAX_ITERATIONS)
MD5_CRYPT = Libpass({"$1$": libpass.md5_crypt})
SHA256_CRYPT = Libpass({"$5$": libpass.sha256_crypt}, SHA_CRYPT_MAX_ROUNDS)
SHA512_CRYPT = Libpass({"$6$": libpass.sha512_crypt}, SHA_CRYPT_MAX_ROUNDS)
