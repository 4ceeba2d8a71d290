"""Sessions in SQL, for every backend: only their tokens' hashes are kept."""
from __future__ import annotations

from facade.core.models import Session
from facade.core.ports import NewSession
from facade.store.sql.records import Db, insert, record, values


class SqlSessions:
    _OPEN = insert("sessions", NewSession)
    _LIVE = "SELECT * FROM sessions WHERE %s = $1 AND revoked_at IS NULL AND expires_at > $2"

    def __init__(self, db: Db) -> None:
        self._db = db

    async def open(self, new: NewSession) -> Session:
        return record(Session, await self._db.one(self._OPEN, *values(new)))

    async def live_by_token(self, token_hash: str, now: float) -> Session | None:
        return record(Session, await self._db.one(self._LIVE % "token_hash", token_hash, now))

    async def live(self, session_id: int, now: float) -> Session | None:
        return record(Session, await self._db.one(self._LIVE % "id", session_id, now))

    async def by_token(self, token_hash: str) -> tuple[Session, bool] | None:
        row = await self._db.one("SELECT * FROM sessions WHERE token_hash = $1", token_hash)
        return None if row is None else (record(Session, row), row["revoked_at"] is not None)

    async def revoke(self, session_id: int, now: float) -> bool:
        return bool(await self._db.run(
            "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", session_id, now))

    async def revoke_all(self, user_id: int, now: float) -> int:
        return await self._db.run(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL", user_id, now)
