"""Uploaded files in SQL, for every backend, and the bytes each client was charged for uploading."""
from __future__ import annotations

from facade.core.ports import File
from facade.store.sql.records import Db, record, values


class SqlFiles:
    def __init__(self, db: Db) -> None:
        self._db = db

    async def add(self, file: File) -> None:
        await self._db.run("INSERT INTO files (folder, name, media_type, data, flow_id, created_at, client) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7)", *values(file))

    async def charged_since(self, client: str, since: float) -> int:
        row = await self._db.one("SELECT coalesce(sum(bytes), 0) AS n FROM upload_charges "
                                 "WHERE client = $1 AND at > $2", client, since)
        return int(row["n"])

    async def charge(self, client: str, at: float, size: int) -> None:
        await self._db.run("INSERT INTO upload_charges (client, at, bytes) VALUES ($1, $2, $3)", client, at, size)

    async def claimed(self, name: str) -> bool:
        return await self._db.one("SELECT 1 AS found FROM users WHERE avatar = $1", name) is not None

    async def get(self, folder: str, name: str) -> File | None:
        return record(File, await self._db.one("SELECT * FROM files WHERE folder = $1 AND name = $2",
                                               folder, name))

    async def drop_unclaimed(self, flow_id: str) -> int:
        return await self._db.run("DELETE FROM files WHERE flow_id = $1 AND NOT EXISTS "
                                  "(SELECT 1 FROM users WHERE users.avatar = files.name)", flow_id)
