"""Verification codes in SQL, for every backend: only salted hashes, counted for the send limits."""
from __future__ import annotations

from facade.core.ports import Code, NewCode
from facade.store.sql.records import Db, insert, record, values


class SqlCodes:
    _ADD = insert("codes", NewCode)

    def __init__(self, db: Db) -> None:
        self._db = db

    async def add(self, new: NewCode) -> Code:
        return record(Code, await self._db.one(self._ADD, *values(new)))

    async def latest(self, target: str, purpose: str, origin: str | None = None) -> Code | None:
        if origin is None:
            row = await self._db.one("SELECT * FROM codes WHERE target = $1 AND purpose = $2 "
                                     "ORDER BY id DESC LIMIT 1", target, purpose)
        else:
            row = await self._db.one("SELECT * FROM codes WHERE target = $1 AND purpose = $2 AND origin = $3 "
                                     "ORDER BY id DESC LIMIT 1", target, purpose, origin)
        return record(Code, row)

    async def last_sent(self, target: str, client: str | None = None) -> float | None:
        if client is None:
            row = await self._db.one("SELECT max(created_at) AS at FROM codes WHERE target = $1", target)
        else:
            row = await self._db.one("SELECT max(created_at) AS at FROM codes WHERE target = $1 AND client = $2",
                                     target, client)
        return row["at"]

    async def count_for_target(self, target: str, since: float, client: str | None = None) -> int:
        if client is None:
            row = await self._db.one("SELECT count(*) AS n FROM codes WHERE target = $1 AND created_at > $2",
                                     target, since)
        else:
            row = await self._db.one("SELECT count(*) AS n FROM codes WHERE target = $1 AND created_at > $2 "
                                     "AND client = $3", target, since, client)
        return row["n"]

    async def count_for_client(self, client: str, since: float) -> int:
        row = await self._db.one("SELECT count(*) AS n FROM codes WHERE client = $1 AND created_at > $2 "
                                 "AND (verified_at IS NULL OR disclosed = 1)", client, since)
        return row["n"]

    async def count_attempt(self, code_id: int, limit: int) -> bool:
        return bool(await self._db.run(
            "UPDATE codes SET attempts = attempts + 1 WHERE id = $1 AND used_at IS NULL AND attempts < $2",
            code_id, limit))

    async def consume(self, code_id: int, now: float) -> bool:
        return bool(await self._db.run("UPDATE codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL",
                                       code_id, now))

    async def live_by_lookup(self, lookup: str, now: float) -> list[Code]:
        rows = await self._db.all("SELECT * FROM codes WHERE lookup = $1 AND used_at IS NULL AND expires_at > $2",
                                  lookup, now)
        return [record(Code, row) for row in rows]

    async def verify(self, code_id: int, now: float, until: float) -> None:
        await self._db.run("UPDATE codes SET verified_at = $2, expires_at = $3 WHERE id = $1 AND used_at IS NULL",
                           code_id, now, until)

    async def verified(self, target: str, purpose: str, origin: str, now: float) -> Code | None:
        row = await self._db.one("SELECT * FROM codes WHERE target = $1 AND purpose = $2 AND origin = $3 "
                                 "AND used_at IS NULL AND expires_at > $4 ORDER BY id DESC LIMIT 1",
                                 target, purpose, origin, now)
        code = record(Code, row)
        return code if code is not None and code.verified_at is not None else None
