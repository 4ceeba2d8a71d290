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
import re
import secrets
import time
from dataclasses import dataclass
from typing import Callable

from facade.core.outcomes import AppInvalid
from facade.core.ports import App, Store, Taken, Work

NAME_MAX = 128
# The shape of a pair the legacy operator issued, which shipped clients carry and a migration enters as it is.
LEGACY_ID = re.compile(r"[a-z0-9]{16}")
LEGACY_SECRET = re.compile(r"[A-Za-z0-9]{32}")


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

    async def add(self, name: str = "", app_id: str | None = None, app_secret: str | None = None) -> NewApp:
        """A new pair, or the pair given (both or neither), as a legacy operator issued it.
        ValueError says what is wrong with the name or the pair, or that the id is taken."""
        if (app_id is None) != (app_secret is None):
            raise ValueError("give both --app-id and --app-secret, or neither")
        app = NewApp(app_id=app_id or secrets.token_hex(8), app_secret=app_secret or secrets.token_urlsafe(32))
        try:
            async with self._store.write() as work:
                await self.enter(work, name, app.app_id, app.app_secret, self._clock(), made_here=app_id is None)
        except Taken:
            raise ValueError(f"an app with id {app.app_id} exists already") from None
        return app

    @staticmethod
    async def enter(work: Work, name: str, app_id: str, app_secret: str, now: float, made_here: bool = False) -> None:
        """Stores a pair inside ``work``; one not ``made_here`` must have the legacy operator's shape."""
        if len(name) > NAME_MAX:
            raise ValueError(f"an app name is at most {NAME_MAX} characters")
        if not made_here and not (LEGACY_ID.fullmatch(app_id) and LEGACY_SECRET.fullmatch(app_secret)):
            raise ValueError("an app id is 16 lowercase letters or digits, its secret 32 letters or digits")
        await work.apps.add(App(app_id, name, _digest(app_secret), now))

    @staticmethod
    def holds(app: App, secret: str) -> bool:
        return hmac.compare_digest(app.secret_hash, _digest(secret))

    async def list(self) -> list[App]:
        async with self._store.read() as work:
            return await work.apps.all()

    async def remove(self, app_id: str) -> bool:
        async with self._store.write() as work:
            return await work.apps.remove(app_id)

    async def check(self, app_id: str | None, secret: str | None) -> None:
        """Raises AppInvalid unless ``secret`` is the secret of app ``app_id``."""
        if not app_id or not secret:
            raise AppInvalid("app_id or app_secret missing")
        async with self._store.read() as work:
            app = await work.apps.get(app_id)
        if app is None or not self.holds(app, secret):
            raise AppInvalid("unknown app or wrong secret")
