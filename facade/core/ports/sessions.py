"""Sessions as stored: only a token's hash, never the token."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from facade.core.models import Session


@dataclass(frozen=True)
class NewSession:
    user_id: int
    token_hash: str
    origin: str
    app_id: str | None
    device_key: str | None
    device_info: str | None
    created_at: float
    expires_at: float


class Sessions(Protocol):
    async def open(self, new: NewSession) -> Session: ...

    async def live_by_token(self, token_hash: str, now: float) -> Session | None: ...

    async def live(self, session_id: int, now: float) -> Session | None: ...

    async def by_token(self, token_hash: str) -> tuple[Session, bool] | None:
        """The session with this token, live or not, and whether it was revoked."""

    async def revoke(self, session_id: int, now: float) -> bool:
        """True if this call revoked it (False: it already was)."""

    async def revoke_all(self, user_id: int, now: float) -> int: ...
