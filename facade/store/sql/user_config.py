"""Each user's own key-value config in SQL, for every backend."""
from __future__ import annotations

from facade.store.sql.records import Db


class SqlUserConfig:
    def __init__(self, db: Db) -> None:
        self._db = db

    async def get(self, user_id: int, key: str) -> str | None:
        row = await self._db.one("SELECT value FROM user_config WHERE user_id = $1 AND key = $2", user_id, key)
        return None if row is None else row["value"]

    async def count(self, user_id: int) -> int:
        return (await self._db.one("SELECT count(*) AS n FROM user_config WHERE user_id = $1", user_id))["n"]

    async def put(self, user_id: int, key: str, value: str, now: float) -> None:
        await self._db.run("INSERT INTO user_config (user_id, key, value, updated_at) VALUES ($1, $2, $3, $4) "
                           "ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, "
                           "updated_at = excluded.updated_at", user_id, key, value, now)
