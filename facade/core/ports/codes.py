"""Verification codes as stored: only a salted hash of each, never the code."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, kw_only=True)
class Sent:
    """A verification code as kept: only its salted hash, never the code."""
    target: str
    purpose: str
    salt: str
    code_hash: str
    created_at: float
    expires_at: float
    max_attempts: int
    disclosed: int = 0  # 1: the dialect showed the code to whoever asked, so it proves nothing


@dataclass(frozen=True, kw_only=True)
class Code(Sent):
    id: int
    used_at: float | None
    verified_at: float | None = None  # checked by a step that leaves spending it to a later one


@dataclass(frozen=True, kw_only=True)
class NewCode(Sent):
    origin: str      # the dialect that sent it, the only one it works through
    client: str | None  # the client address that asked for it, for the per-client cap
    lookup: str | None = None  # a hash of a shown code's value, for a step that names no target


class Codes(Protocol):
    async def add(self, new: NewCode) -> Code: ...

    async def latest(self, target: str, purpose: str, origin: str | None = None) -> Code | None:
        """The newest code for this target and purpose, sent through ``origin`` (None: through any)."""

    async def last_sent(self, target: str, client: str | None = None) -> float | None:
        """When the newest code to ``target`` (that ``client`` asked for, if given) was made, whatever its purpose."""

    async def count_for_target(self, target: str, since: float, client: str | None = None) -> int: ...

    async def count_for_client(self, client: str, since: float) -> int:
        """Codes ``client`` asked for after ``since`` that no right answer proved (a shown code proves nothing)."""

    async def count_attempt(self, code_id: int, limit: int) -> bool:
        """Atomically counts one try; False if the code is used or out of tries."""

    async def consume(self, code_id: int, now: float) -> bool:
        """True if this call used the code up (False: it already was)."""

    async def live_by_lookup(self, lookup: str, now: float) -> list[Code]:
        """Unused, unexpired codes whose lookup hash is ``lookup``."""

    async def verify(self, code_id: int, now: float, until: float) -> None:
        """Marks the code found right at ``now``, to be spent by ``until``."""

    async def verified(self, target: str, purpose: str, origin: str, now: float) -> Code | None:
        """The newest unused, unexpired code to ``target`` for ``purpose`` through ``origin``, if verified."""
