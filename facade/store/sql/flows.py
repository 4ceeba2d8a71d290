"""Flows in SQL, for every backend: a multi-step exchange's values, as JSON, until it expires."""
from __future__ import annotations

import json
from typing import Any

from facade.store.sql.records import Db


class SqlFlows:
    def __init__(self, db: Db) -> None:
        self._db = db

    async def get(self, flow_id: str, now: float) -> dict[str, Any] | None:
        row = await self._db.one("SELECT data FROM flows WHERE token_hash = $1 AND expires_at > $2", flow_id, now)
        return None if row is None else json.loads(row["data"])

    async def put(self, flow_id: str, values: dict[str, Any], expires_at: float) -> None:
        await self._db.run("INSERT INTO flows (token_hash, data, expires_at) VALUES ($1, $2, $3) "
                           "ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data, "
                           "expires_at = excluded.expires_at", flow_id, json.dumps(values), expires_at)

    async def update(self, flow_id: str, values: dict[str, Any], now: float) -> bool:
        return bool(await self._db.run("UPDATE flows SET data = $2 WHERE token_hash = $1 AND expires_at > $3",
                                       flow_id, json.dumps(values), now))

    async def end(self, flow_id: str) -> None:
        await self._db.run("DELETE FROM flows WHERE token_hash = $1", flow_id)
