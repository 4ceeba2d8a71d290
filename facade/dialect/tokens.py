"""A session token's wire forms, one codec per dialect. Each turns a login into
what the dialect's clients carry, and what they carry back into the live Session."""
from __future__ import annotations

import re
import warnings
from typing import Callable, Iterable, Protocol

import jwt
from jwt.warnings import InsecureKeyLengthWarning

from facade.core.models import LoggedIn, Session
from facade.core.outcomes import TokenInvalid
from facade.core.service import UserCore
from facade.core.sessions import Holder
from facade.dialect.declarations import Dialect, IdSpec


class Codec(Protocol):
    def encode(self, login: LoggedIn) -> str: ...

    async def session(self, wire: str, core: UserCore, app: str | None) -> Session:
        """The live session the token names, opened through ``app``, or TokenInvalid."""


class Hex32:
    """An opaque 32-character lowercase hex token: the session's secret itself. Tokens a legacy
    server issued in this form, once imported, are sessions like any other."""
    _FORM = re.compile(r"[0-9a-f]{32}")

    def encode(self, login: LoggedIn) -> str:
        return login.token

    async def session(self, wire: str, core: UserCore, app: str | None) -> Session:
        if not self._FORM.fullmatch(wire):
            raise TokenInvalid("not 32 lowercase hex")
        return await core.authenticate(wire, app)


class JwtHs256:
    """HS256 JWT: ``aud`` = the holder's id (the mapping's session.audience), ``exp``, and
    ``sid`` naming the server-side session, so logout and password reset revoke it; ``aud``
    must name the session's holder. The algorithm is pinned when verifying: a token claiming
    ``none`` or RS256 is refused.

    A token a legacy service signed with its own key carries only ``aud`` and ``exp``. With
    that key configured, such a token is honoured until its ``exp`` for the user whose
    imported id is its ``aud``: its first use becomes a session here, which logout revokes,
    and which dies with a password reset or the app it was used through."""
    ALGORITHM = "HS256"
    REQUIRED = ["aud", "exp", "sid"]
    LEGACY_REQUIRED = ["aud", "exp"]

    def __init__(self, key: str, audience: IdSpec, origin: str, legacy_keys: Iterable[str] = ()) -> None:
        self._key = key
        self._audience = audience
        self._origin = origin
        self._legacy_keys = tuple(legacy_keys)

    def encode(self, login: LoggedIn) -> str:
        claims = {"aud": str(self._audience.of(login.user)), "exp": int(login.session.expires_at),
                  "sid": login.session.id}
        return jwt.encode(claims, self._key, algorithm=self.ALGORITHM)

    async def session(self, wire: str, core: UserCore, app: str | None) -> Session:
        try:
            claims = self._decode(wire, self._key, self.REQUIRED)
        except jwt.InvalidSignatureError:
            if not self._legacy_keys:
                raise TokenInvalid("InvalidSignatureError") from None
            return await self._legacy(wire, core, app)
        if not isinstance(claims["sid"], int) or not isinstance(claims["aud"], str):
            raise TokenInvalid("sid is not a session id, or aud not one user")
        return await core.session(claims["sid"], app, owner=self._holder(claims["aud"]))

    async def _legacy(self, wire: str, core: UserCore, app: str | None) -> Session:
        for key in self._legacy_keys:
            try:
                claims = self._decode(wire, key, self.LEGACY_REQUIRED)
                break
            except jwt.InvalidSignatureError:
                continue
        else:
            raise TokenInvalid("signed by no key this dialect knows")
        if not isinstance(claims["aud"], str) or not isinstance(claims["exp"], (int, float)):
            raise TokenInvalid("aud is not one user, or exp not a time")
        return await core.legacy_session(wire, self._holder(claims["aud"]), claims["exp"], app, self._origin)

    def _decode(self, wire: str, key: str, required: list[str]) -> dict:
        try:
            with warnings.catch_warnings():  # a legacy operator's key is as long as they made it
                warnings.simplefilter("ignore", InsecureKeyLengthWarning)
                return jwt.decode(wire, key, algorithms=[self.ALGORITHM],
                                  options={"require": required, "verify_aud": False})
        except jwt.InvalidSignatureError:
            raise
        except jwt.PyJWTError as error:
            raise TokenInvalid(type(error).__name__) from None

    def _holder(self, audience: str) -> Holder:
        return Holder(self._audience.namespace, self._audience.rule, audience)


# A mapping's session.token -> how its codec is made (the key, the dialect, its legacy keys).
FORMS: dict[str, Callable[[str, Dialect, list[str]], Codec]] = {
    "hex32": lambda key, dialect, legacy: Hex32(),
    "jwt_hs256": lambda key, dialect, legacy: JwtHs256(key, dialect.session.audience, dialect.name, legacy),
}


def codecs(dialects: list[Dialect], jwt_key: str, legacy_keys: dict[str, list[str]]) -> dict[str, Codec]:
    """Each dialect's codec, by dialect name."""
    return {dialect.name: FORMS[dialect.session.token](jwt_key, dialect, legacy_keys.get(dialect.name, []))
            for dialect in dialects if dialect.session is not None}
