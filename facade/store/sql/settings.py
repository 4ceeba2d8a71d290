"""The deployment's settings in SQL, for every backend: the first value kept wins, in every process."""
from __future__ import annotations

from facade.store.sql.records import Db


class SqlSettings:
    def __init__(self, db: Db) -> None:
        self._db = db

    async def keep(self, name: str, value: str) -> str:
        await self._db.run("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                           name, value)
        return (await self._db.one("SELECT value FROM settings WHERE name = $1", name))["value"]
