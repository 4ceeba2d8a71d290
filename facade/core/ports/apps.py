"""Apps: the clients an operator registered, with their secrets' hashes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class App:
    app_id: str
    name: str
    secret_hash: str
    created_at: float


class Apps(Protocol):
    async def add(self, app: App) -> None:
        """Raises Taken('app_id') when the id is held."""

    async def get(self, app_id: str) -> App | None: ...

    async def all(self) -> list[App]: ...

    async def remove(self, app_id: str) -> bool: ...
