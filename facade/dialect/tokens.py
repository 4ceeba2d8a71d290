"""A session token's wire forms. Each codec turns a login into what the
dialect's clients carry, and what they carry back into the live Session."""
from __future__ import annotations

import re
from typing import Protocol

import jwt

from facade.core import UserCore
from facade.core.models import LoggedIn, Session
from facade.core.outcomes import TokenInvalid


class Codec(Protocol):
    def encode(self, login: LoggedIn) -> str: ...

    async def session(self, wire: str, core: UserCore, app: str | None) -> Session:
        """The live session the token names, opened through ``app``, or TokenInvalid."""


class Hex32:
    """An opaque 32-character lowercase hex token: the session's secret itself."""
    _FORM = re.compile(r"[0-9a-f]{32}")

    def encode(self, login: LoggedIn) -> str:
        return login.token

    async def session(self, wire: str, core: UserCore, app: str | None) -> Session:
        if not self._FORM.fullmatch(wire):
            raise TokenInvalid("not 32 lowercase hex")
        return await core.authenticate(wire, app)


class JwtHs256:
    """HS256 JWT: ``aud`` = the user's public id, ``exp``, and ``sid`` naming the
    server-side session, so logout and password reset revoke it; ``aud`` must
    name the session's holder. The algorithm
    is pinned when verifying: a token claiming ``none`` or RS256 is refused."""
    ALGORITHM = "HS256"
    REQUIRED = ["aud", "exp", "sid"]

    def __init__(self, key: str) -> None:
        self._key = key

    def encode(self, login: LoggedIn) -> str:
        claims = {"aud": login.user.public_id, "exp": int(login.session.expires_at), "sid": login.session.id}
        return jwt.encode(claims, self._key, algorithm=self.ALGORITHM)

    async def session(self, wire: str, core: UserCore, app: str | None) -> Session:
        try:
            claims = jwt.decode(wire, self._key, algorithms=[self.ALGORITHM],
                                options={"require": self.REQUIRED, "verify_aud": False})
        except jwt.PyJWTError as error:
            raise TokenInvalid(type(error).__name__) from None
        if not isinstance(claims["sid"], int) or not isinstance(claims["aud"], str):
            raise TokenInvalid("sid is not a session id, or aud not one user")
        return await core.session(claims["sid"], app, owner=claims["aud"])



def codecs(jwt_key: str) -> dict[str, Codec]:
    return {"hex32": Hex32(), "jwt_hs256": JwtHs256(jwt_key)}
