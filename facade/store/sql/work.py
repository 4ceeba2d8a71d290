"""One unit of work in SQL, for every backend: every aggregate over one connection, the claims that
serialise writers, and the sweeps."""
from __future__ import annotations

from facade.store.sql.apps import SqlApps
from facade.store.sql.codes import SqlCodes
from facade.store.sql.files import SqlFiles
from facade.store.sql.flows import SqlFlows
from facade.store.sql.records import Db
from facade.store.sql.sessions import SqlSessions
from facade.store.sql.settings import SqlSettings
from facade.store.sql.throttles import SqlThrottles
from facade.store.sql.user_config import SqlUserConfig
from facade.store.sql.users import SqlUsers


SWEEPS = {  # what each sweep deletes, and the times its placeholders stand for
    "flows": ("DELETE FROM flows WHERE expires_at <= $1", ("now",)),
    "codes": ("DELETE FROM codes WHERE created_at < $1", ("codes_before",)),
    "sessions": ("DELETE FROM sessions WHERE expires_at <= $1", ("now",)),
    "throttles": ("DELETE FROM throttles WHERE last_at < $1 AND blocked_until < $1", ("throttles_before",)),
    "trusted_clients": ("DELETE FROM trusted_clients WHERE until <= $1", ("now",)),
    "upload_charges": ("DELETE FROM upload_charges WHERE at < $1", ("charges_before",)),
    "files": ("DELETE FROM files WHERE created_at < $1 "
              "AND NOT EXISTS (SELECT 1 FROM users WHERE users.avatar = files.name) "
              "AND NOT EXISTS (SELECT 1 FROM flows WHERE flows.token_hash = files.flow_id AND flows.expires_at > $2)",
              ("files_before", "now")),
}


class SqlWork:
    """Every aggregate over one connection: what ``Store.write()`` and ``read()`` yield."""

    def __init__(self, db: Db) -> None:
        self._db = db
        self.users = SqlUsers(db)
        self.sessions = SqlSessions(db)
        self.codes = SqlCodes(db)
        self.flows = SqlFlows(db)
        self.apps = SqlApps(db)
        self.settings = SqlSettings(db)
        self.config = SqlUserConfig(db)
        self.files = SqlFiles(db)
        self.throttles = SqlThrottles(db)

    async def claim(self, *keys: str) -> None:
        await self._db.claim(sorted(set(keys)))

    async def ping(self) -> None:
        await self._db.one("SELECT 1 AS ok")

    async def sweep(self, what: str, now: float, *, codes_before: float, throttles_before: float,
                    files_before: float, charges_before: float) -> int:
        times = {"now": now, "codes_before": codes_before, "throttles_before": throttles_before,
                 "files_before": files_before, "charges_before": charges_before}
        sql, uses = SWEEPS[what]
        return await self._db.run(sql, *(times[t] for t in uses))
