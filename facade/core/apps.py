"""Apps: the app_id / app_secret pairs a dialect may demand on every call.

Users are shared by every app (one identity behind every dialect); what an
app owns is its sessions: a token opened through one app is refused with
another's credentials, and dies with its app.

A secret is 256 random bits, so one SHA-256 of it is as safe to store as a
bcrypt hash would be, and cheap enough to check on every request, where
bcrypt's cost would cap the whole dialect at a few calls a second.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Callable

from facade.core.outcomes import AppInvalid
from facade.store import Store
from facade.store.base import Row

NAME_MAX = 128


@dataclass(frozen=True)
class NewApp:
    app_id: str
    app_secret: str  # shown once, when the app is added; only its hash is kept


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Apps:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    async def add(self, name: str = "") -> NewApp:
        if len(name) > NAME_MAX:
            raise ValueError(f"an app name is at most {NAME_MAX} characters")
        app = NewApp(app_id=secrets.token_hex(8), app_secret=secrets.token_urlsafe(32))
        await self._store.insert_app({"app_id": app.app_id, "name": name, "secret_hash": _digest(app.app_secret),
                                      "created_at": self._clock()})
        return app

    async def list(self) -> list[Row]:
        return await self._store.list_apps()

    async def remove(self, app_id: str) -> bool:
        return await self._store.delete_app(app_id)

    async def check(self, app_id: str | None, secret: str | None) -> None:
        """Raises AppInvalid unless ``secret`` is the secret of app ``app_id``."""
        if not app_id or not secret:
            raise AppInvalid("app_id or app_secret missing")
        row = await self._store.find_app(app_id)
        if row is None or not hmac.compare_digest(row["secret_hash"], _digest(secret)):
            raise AppInvalid("unknown app or wrong secret")
