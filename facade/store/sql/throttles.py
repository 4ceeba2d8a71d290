"""Login throttles and trusted clients in SQL, for every backend."""
from __future__ import annotations

from facade.core.ports import Strikes
from facade.store.sql.records import Db, record, values


class SqlThrottles:
    def __init__(self, db: Db) -> None:
        self._db = db

    async def get(self, key: str) -> Strikes | None:
        return record(Strikes, await self._db.one("SELECT * FROM throttles WHERE key = $1", key))

    async def put(self, key: str, strikes: Strikes, scope: str | None = None) -> None:
        await self._db.run("INSERT INTO throttles (key, failures, last_at, blocked_until, since, scope) "
                           "VALUES ($1, $2, $3, $4, $5, $6) "
                           "ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, "
                           "last_at = excluded.last_at, blocked_until = excluded.blocked_until, "
                           "since = excluded.since, scope = COALESCE(excluded.scope, throttles.scope)",
                           key, *values(strikes), scope)

    async def failing_clients(self, scope: str, since: float, enough: int) -> int:
        row = await self._db.one("SELECT count(*) AS n FROM (SELECT 1 FROM throttles WHERE scope = $1 AND last_at > $2 "
                                 "LIMIT $3) AS failing", scope, since, enough)
        return row["n"]

    async def clear(self, key: str) -> None:
        await self._db.run("DELETE FROM throttles WHERE key = $1", key)

    async def trust(self, key: str, until: float) -> None:
        await self._db.run("INSERT INTO trusted_clients (key, until) VALUES ($1, $2) "
                           "ON CONFLICT (key) DO UPDATE SET until = excluded.until", key, until)

    async def trusted(self, key: str, now: float) -> bool:
        return await self._db.one("SELECT 1 AS found FROM trusted_clients WHERE key = $1 AND until > $2",
                                  key, now) is not None
