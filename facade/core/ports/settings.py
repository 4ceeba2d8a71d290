"""Values kept under a name: the server's own settings, and each user's config."""
from __future__ import annotations

from typing import Protocol


class Settings(Protocol):
    async def keep(self, name: str, value: str) -> str:
        """Stores ``value`` unless ``name`` has one already; returns the value kept."""


class UserConfig(Protocol):
    async def get(self, user_id: int, key: str) -> str | None: ...

    async def count(self, user_id: int) -> int: ...

    async def put(self, user_id: int, key: str, value: str, now: float) -> None: ...
