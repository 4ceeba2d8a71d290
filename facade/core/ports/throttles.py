"""Failed attempts counted per throttle key, and clients trusted after a login."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Strikes:
    """Failed attempts counted against one throttle key."""
    failures: int
    last_at: float
    blocked_until: float
    since: float = 0.0  # when this run of failures began


class Throttles(Protocol):
    async def get(self, key: str) -> Strikes | None: ...

    async def put(self, key: str, strikes: Strikes, scope: str | None = None) -> None:
        """``scope``: the key this one counts a client for (None keeps the one it had)."""

    async def failing_clients(self, scope: str, since: float, enough: int) -> int:
        """How many keys of ``scope`` (up to ``enough``) counted a failure after ``since``: clients failing at it."""

    async def clear(self, key: str) -> None: ...

    async def trust(self, key: str, until: float) -> None:
        """Remembers a client that logged in to an account, until ``until``."""

    async def trusted(self, key: str, now: float) -> bool: ...
