"""Registered apps in SQL, for every backend: only their secrets' hashes are kept."""
from __future__ import annotations

from facade.core.ports import App
from facade.store.sql.records import Db, record, values


class SqlApps:
    def __init__(self, db: Db) -> None:
        self._db = db

    async def add(self, app: App) -> None:
        await self._db.run("INSERT INTO apps (app_id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4)",
                           *values(app))

    async def get(self, app_id: str) -> App | None:
        return record(App, await self._db.one("SELECT * FROM apps WHERE app_id = $1", app_id))

    async def all(self) -> list[App]:
        return [record(App, row) for row in await self._db.all("SELECT * FROM apps ORDER BY created_at, app_id")]

    async def remove(self, app_id: str) -> bool:
        return bool(await self._db.run("DELETE FROM apps WHERE app_id = $1", app_id))
