"""A session token's wire forms: each codec turns the core's session secret
into what the dialect's clients carry, and back."""
from __future__ import annotations

import re
from typing import Protocol

from facade.core.models import LoggedIn
from facade.core.outcomes import TokenInvalid


class Codec(Protocol):
    def encode(self, login: LoggedIn) -> str: ...

    def decode(self, wire: str) -> str:
        """The session secret, or TokenInvalid."""


class Hex32:
    """An opaque 32-character lowercase hex token: the secret itself."""
    _FORM = re.compile(r"[0-9a-f]{32}")

    def encode(self, login: LoggedIn) -> str:
        return login.token

    def decode(self, wire: str) -> str:
        if not self._FORM.fullmatch(wire):
            raise TokenInvalid("not 32 lowercase hex")
        return wire


CODECS: dict[str, Codec] = {"hex32": Hex32()}
