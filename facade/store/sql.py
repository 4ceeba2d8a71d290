"""The core's ports in SQL, written once for every backend.

Statements use PostgreSQL's ``$1`` placeholders (the SQLite backend
rewrites them to ``?1``) and only SQL both databases speak. Values always
travel as parameters; the only names placed in SQL text come from the
fixed tables below, never from a caller.
"""
from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from facade.core.models import Session
from facade.core.ports import (Account, App, Brought, Code, Identifier, NewAccount, NewCode, NewSession, ProfileChange,
                               File)
from facade.store.records import (Db, Row, column as _column, insert as _insert, names as _names, record as _record,
                                  values as _values)
from facade.store.sql_codes import SqlCodes
from facade.store.sql_throttles import SqlThrottles


IDENTIFIER_COLUMNS = {"username": "username_key", "phone": "phone", "email": "email"}
VERIFIED_COLUMNS = {"phone": "phone_verified_at", "email": "email_verified_at"}
PROFILE_COLUMNS = frozenset(f.name for f in fields(ProfileChange))
# A uniqueness error names columns; the core speaks of the fields they hold.
FIELDS_OF_COLUMNS = {"username_key": "username", "value": "legacy_id", "user_id": "legacy_id"}


class Rows:
    """``one`` for a backend's ``all``: written once for every backend's Db."""

    async def all(self, sql: str, *args: Any) -> list[Row]:
        raise NotImplementedError

    async def one(self, sql: str, *args: Any) -> Row | None:
        rows = await self.all(sql, *args)
        return rows[0] if rows else None


def field_of(columns: str) -> str:
    """The core's name for what a uniqueness rule over ``columns`` ("phone", "folder, name") protects."""
    last = columns.split(",")[-1].strip()
    return FIELDS_OF_COLUMNS.get(last, last)


def _account(row: Row | None) -> Account | None:
    if row is None:
        return None
    account = _record(Account, row)
    account.legacy_ids = json.loads(account.legacy_ids) if account.legacy_ids else {}
    return account


class SqlUsers:
    _ADD = _insert("users", NewAccount, copies={"updated_at": "created_at"})
    _ADD_ID = "INSERT INTO user_ids (namespace, value, user_id) VALUES ($1, $2, $3)"
    _ADD_MANY = ("id", *_names(NewAccount), "updated_at")  # updated_at starts as created_at
    _CREATED = _names(NewAccount).index("created_at")

    def __init__(self, db: Db) -> None:
        self._db = db

    async def get(self, user_id: int) -> Account | None:
        return _account(await self._db.one("SELECT * FROM users WHERE id = $1", user_id))

    async def find(self, identifier: Identifier) -> Account | None:
        column = IDENTIFIER_COLUMNS[identifier.kind]
        return _account(await self._db.one(f"SELECT * FROM users WHERE {column} = $1", identifier.value))

    async def add(self, new: NewAccount) -> Account:
        account = _account(await self._db.one(self._ADD, *_values(new)))
        for namespace, value in new.legacy_ids.items():
            await self._db.run(self._ADD_ID, namespace, value, account.id)
        return account

    async def change_profile(self, user_id: int, change: ProfileChange, now: float) -> None:
        given = change.given()
        if not set(given) <= PROFILE_COLUMNS:  # names reach SQL text: only the fixed ones
            raise ValueError(f"not profile fields: {sorted(set(given) - PROFILE_COLUMNS)}")
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(given, start=3))
        await self._db.run(f"UPDATE users SET updated_at = $2, {assignments} WHERE id = $1",
                           user_id, now, *given.values())

    async def set_password(self, user_id: int, password_hash: str, now: float) -> None:
        await self._db.run("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
                           user_id, password_hash, now)

    async def set_verified(self, user_id: int, kind: str, now: float) -> None:
        column = VERIFIED_COLUMNS[kind]
        await self._db.run(f"UPDATE users SET {column} = $2 WHERE id = $1", user_id, now)

    async def end_sessions(self, user_id: int, now: float) -> None:
        await self._db.run("UPDATE users SET sessions_revoked_at = $2 WHERE id = $1", user_id, now)

    async def find_by_legacy_id(self, namespace: str, value: str) -> Account | None:
        return _account(await self._db.one("SELECT users.* FROM user_ids JOIN users ON users.id = user_ids.user_id "
                                           "WHERE user_ids.namespace = $1 AND user_ids.value = $2", namespace, value))

    async def find_by_public_id(self, public_id: str) -> Account | None:
        return _account(await self._db.one("SELECT * FROM users WHERE public_id = $1", public_id))

    async def legacy_id_exists(self, value: str) -> bool:
        return await self._db.one("SELECT 1 AS found FROM user_ids WHERE value = $1", value) is not None

    # Many at once, for imports: each look-up is one statement, whatever the batch's size.

    async def find_many(self, kind: str, values: list[str] | list[int]) -> list[Account]:
        if not values:
            return []
        column = {**IDENTIFIER_COLUMNS, "id": "id", "public_id": "public_id"}[kind]
        among, args = self._db.among(values, 1)
        rows = await self._db.all(f"SELECT * FROM users WHERE {column} {among}", *args)
        return [_account(row) for row in rows]

    async def find_many_by_legacy_id(self, namespace: str, values: list[str]) -> dict[str, Brought]:
        if not values:
            return {}
        among, args = self._db.among(values, 2)
        rows = await self._db.all("SELECT user_ids.value, users.id, users.imported_by, users.imported_line "
                                  "FROM user_ids JOIN users ON users.id = user_ids.user_id WHERE user_ids.namespace "
                                  f"= $1 AND user_ids.value {among}", namespace, *args)
        return {row["value"]: Brought(row["id"], row["imported_by"], row["imported_line"]) for row in rows}

    async def mark_imported(self, user_id: int, run: str, line: int) -> None:
        await self._db.run("UPDATE users SET imported_by = $2, imported_line = $3 WHERE id = $1", user_id, run, line)

    async def next_ids(self, count: int) -> list[int]:
        return await self._db.next_user_ids(count)

    async def keep_ids_above(self, floor: int) -> None:
        await self._db.keep_user_ids_above(floor)

    async def add_many(self, accounts: list[tuple[int, NewAccount]]) -> None:
        """Inserts users with the ids given (from ``next_ids``), their legacy ids too."""
        rows = []
        for user_id, new in accounts:
            values = _values(new)
            rows.append([user_id, *values, values[self._CREATED]])
        await self._db.insert_many("users", self._ADD_MANY, rows)
        await self._db.insert_many("user_ids", ("namespace", "value", "user_id"),
                                   [[namespace, value, user_id] for user_id, new in accounts
                                    for namespace, value in new.legacy_ids.items()])
        await self._db.grew(len(accounts))

    async def add_legacy_id(self, user_id: int, namespace: str, value: str) -> None:
        """The caller claims the user: the copy on the user is read, then written."""
        await self._db.run(self._ADD_ID, namespace, value, user_id)
        row = await self._db.one("SELECT legacy_ids FROM users WHERE id = $1", user_id)
        ids = {**json.loads(row["legacy_ids"] or "{}"), namespace: value}
        await self._db.run("UPDATE users SET legacy_ids = $2 WHERE id = $1", user_id, _column(ids))


class SqlSessions:
    _OPEN = _insert("sessions", NewSession)
    _LIVE = "SELECT * FROM sessions WHERE %s = $1 AND revoked_at IS NULL AND expires_at > $2"

    def __init__(self, db: Db) -> None:
        self._db = db

    async def open(self, new: NewSession) -> Session:
        return _record(Session, await self._db.one(self._OPEN, *_values(new)))

    async def live_by_token(self, token_hash: str, now: float) -> Session | None:
        return _record(Session, await self._db.one(self._LIVE % "token_hash", token_hash, now))

    async def live(self, session_id: int, now: float) -> Session | None:
        return _record(Session, await self._db.one(self._LIVE % "id", session_id, now))

    async def by_token(self, token_hash: str) -> tuple[Session, bool] | None:
        row = await self._db.one("SELECT * FROM sessions WHERE token_hash = $1", token_hash)
        return None if row is None else (_record(Session, row), row["revoked_at"] is not None)

    async def revoke(self, session_id: int, now: float) -> bool:
        return bool(await self._db.run(
            "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", session_id, now))

    async def revoke_all(self, user_id: int, now: float) -> int:
        return await self._db.run(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL", user_id, now)


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


class SqlApps:
    def __init__(self, db: Db) -> None:
        self._db = db

    async def add(self, app: App) -> None:
        await self._db.run("INSERT INTO apps (app_id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4)",
                           *_values(app))

    async def get(self, app_id: str) -> App | None:
        return _record(App, await self._db.one("SELECT * FROM apps WHERE app_id = $1", app_id))

    async def all(self) -> list[App]:
        return [_record(App, row) for row in await self._db.all("SELECT * FROM apps ORDER BY created_at, app_id")]

    async def remove(self, app_id: str) -> bool:
        return bool(await self._db.run("DELETE FROM apps WHERE app_id = $1", app_id))


class SqlSettings:
    def __init__(self, db: Db) -> None:
        self._db = db

    async def keep(self, name: str, value: str) -> str:
        await self._db.run("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                           name, value)
        return (await self._db.one("SELECT value FROM settings WHERE name = $1", name))["value"]


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


class SqlFiles:
    def __init__(self, db: Db) -> None:
        self._db = db

    async def add(self, file: File) -> None:
        await self._db.run("INSERT INTO files (folder, name, media_type, data, flow_id, created_at, client) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7)", *_values(file))

    async def charged_since(self, client: str, since: float) -> int:
        row = await self._db.one("SELECT coalesce(sum(bytes), 0) AS n FROM upload_charges "
                                 "WHERE client = $1 AND at > $2", client, since)
        return int(row["n"])

    async def charge(self, client: str, at: float, size: int) -> None:
        await self._db.run("INSERT INTO upload_charges (client, at, bytes) VALUES ($1, $2, $3)", client, at, size)

    async def claimed(self, name: str) -> bool:
        return await self._db.one("SELECT 1 AS found FROM users WHERE avatar = $1", name) is not None

    async def get(self, folder: str, name: str) -> File | None:
        return _record(File, await self._db.one("SELECT * FROM files WHERE folder = $1 AND name = $2",
                                                      folder, name))

    async def drop_unclaimed(self, flow_id: str) -> int:
        return await self._db.run("DELETE FROM files WHERE flow_id = $1 AND NOT EXISTS "
                                  "(SELECT 1 FROM users WHERE users.avatar = files.name)", flow_id)


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
