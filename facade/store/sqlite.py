"""The embedded default store: SQLite through aiosqlite.

One connection, WAL mode, foreign keys on. Migrations are numbered scripts
applied at open time, tracked in ``PRAGMA user_version``.
"""
from __future__ import annotations

import asyncio
import re
import sqlite3
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Iterator, Mapping

import aiosqlite

from facade.store.base import SESSION_KEYS, USER_FIELDS, USER_KEYS, Conflict, Row

MIGRATIONS = [
    """
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        username      TEXT,
        username_key  TEXT UNIQUE,
        phone         TEXT UNIQUE,
        email         TEXT UNIQUE,
        password_hash TEXT NOT NULL,
        nickname      TEXT,
        gender        INTEGER,
        birthday      INTEGER,
        avatar        TEXT,
        extra         TEXT,
        created_at    REAL NOT NULL,
        updated_at    REAL NOT NULL
    );
    CREATE TABLE sessions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash  TEXT NOT NULL UNIQUE,
        origin      TEXT NOT NULL,
        created_at  REAL NOT NULL,
        expires_at  REAL NOT NULL,
        revoked_at  REAL
    );
    CREATE INDEX sessions_by_user ON sessions(user_id);
    """,
    # Public ids: new users get theirs from the core (secrets); rows made before
    # this migration get 16 letters from SQLite's random() once, here.
    """
    ALTER TABLE users ADD COLUMN public_id TEXT;
    UPDATE users SET public_id = %s WHERE public_id IS NULL;
    CREATE UNIQUE INDEX users_by_public_id ON users(public_id);
    """ % " || ".join(["substr('abcdefghijklmnopqrstuvwxyz', 1 + abs(random() % 26), 1)"] * 16),
    """
    CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    """
    CREATE TABLE codes (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        target      TEXT NOT NULL,
        purpose     TEXT NOT NULL,
        salt        TEXT NOT NULL,
        code_hash   TEXT NOT NULL,
        created_at  REAL NOT NULL,
        expires_at  REAL NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        used_at     REAL
    );
    CREATE INDEX codes_by_target ON codes(target, created_at);
    """,
    """
    CREATE TABLE apps (
        app_id      TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at  REAL NOT NULL
    );
    CREATE TABLE user_config (
        user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        key         TEXT NOT NULL,
        value       TEXT NOT NULL,
        updated_at  REAL NOT NULL,
        PRIMARY KEY (user_id, key)
    );
    """,
    # A profile's e-mail address is never verified, so it is kept apart from the
    # unique login address; a session remembers the app it was opened through.
    """
    ALTER TABLE users ADD COLUMN contact_email TEXT;
    ALTER TABLE sessions ADD COLUMN app_id TEXT;
    """,
    # The device a session was opened on, for dialects whose clients name it.
    """
    ALTER TABLE sessions ADD COLUMN device_key TEXT;
    ALTER TABLE sessions ADD COLUMN device_info TEXT;
    """,
    # Short codes get fewer tries, fixed when the code is made; flows link the
    # steps of a multi-step exchange whose later requests do not repeat the first.
    """
    ALTER TABLE codes ADD COLUMN max_attempts INTEGER;
    CREATE TABLE flows (
        token_hash  TEXT PRIMARY KEY,
        data        TEXT NOT NULL,
        expires_at  REAL NOT NULL
    );
    """,
    # A code works only through the dialect that sent it: one dialect hands its codes to the client.
    """
    ALTER TABLE codes ADD COLUMN origin TEXT NOT NULL DEFAULT '';
    """,
]

_UNIQUE_FAILED = re.compile(r"UNIQUE constraint failed: \w+\.(\w+)")


@contextmanager
def _conflicts() -> Iterator[None]:
    """A UNIQUE index refusing a write becomes Conflict(column)."""
    try:
        yield
    except sqlite3.IntegrityError as error:
        taken = _UNIQUE_FAILED.search(str(error))
        if taken:
            raise Conflict(taken.group(1)) from error
        raise


class SqliteStore:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        # One connection is one transaction: a writer's commit or rollback
        # must not take another coroutine's half-done write with it.
        # (Reads are not locked: they may glimpse a row an instant before its commit.)
        self._writing = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> "SqliteStore":
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        store = cls(db)
        try:
            await store._migrate()
        except BaseException:
            await db.close()  # else its thread outlives the failure and the process cannot exit
            raise
        return store

    async def _migrate(self) -> None:
        (version,) = await (await self._db.execute("PRAGMA user_version")).fetchone()
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            try:
                await self._db.executescript(f"BEGIN; {script} PRAGMA user_version={number}; COMMIT;")
            except sqlite3.Error:
                await self._db.rollback()
                raise

    async def ping(self) -> bool:
        await self._db.execute("SELECT 1")
        return True

    async def close(self) -> None:
        await self._db.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        """Commits, or rolls back on any exit, cancellation included, before the
        next writer may start: one connection is one transaction."""
        async with self._writing:
            try:
                yield
                await self._db.commit()
            except BaseException:
                await asyncio.shield(self._db.rollback())
                raise

    async def _insert(self, table: str, values: Mapping[str, Any]) -> Row:
        columns = list(values)
        sql = "INSERT INTO %s (%s) VALUES (%s) RETURNING *" % (
            table, ", ".join(columns), ", ".join("?" * len(columns)))
        with _conflicts():
            async with self._transaction():
                async with self._db.execute(sql, [values[c] for c in columns]) as cursor:
                    row = await cursor.fetchone()
        return dict(row)

    async def _one(self, sql: str, args: tuple) -> Row | None:
        async with self._db.execute(sql, args) as cursor:
            row = await cursor.fetchone()
        return dict(row) if row else None

    async def insert_user(self, values: Mapping[str, Any]) -> Row:
        return await self._insert("users", values)

    async def find_user(self, key: str, value: Any) -> Row | None:
        if key not in USER_KEYS:
            raise ValueError(f"users cannot be looked up by {key!r}")
        return await self._one(f"SELECT * FROM users WHERE {key} = ?", (value,))

    async def update_user(self, user_id: int, values: Mapping[str, Any]) -> None:
        unknown = set(values) - set(USER_FIELDS)
        if unknown:
            raise ValueError(f"users cannot be updated in {sorted(unknown)}")
        columns = list(values)
        assignments = ", ".join(f"{c} = ?" for c in columns)
        with _conflicts():
            await self._update(f"UPDATE users SET {assignments} WHERE id = ?", (*[values[c] for c in columns], user_id))

    async def insert_session(self, values: Mapping[str, Any]) -> Row:
        return await self._insert("sessions", values)

    async def find_live_session(self, key: str, value: Any, now: float) -> Row | None:
        if key not in SESSION_KEYS:
            raise ValueError(f"sessions cannot be looked up by {key!r}")
        return await self._one(
            f"SELECT * FROM sessions WHERE {key} = ? AND revoked_at IS NULL AND expires_at > ?", (value, now))

    async def insert_code(self, values: Mapping[str, Any]) -> Row:
        return await self._insert("codes", values)

    async def latest_code(self, target: str, purpose: str, origin: str | None = None) -> Row | None:
        if origin is None:
            return await self._one("SELECT * FROM codes WHERE target = ? AND purpose = ? ORDER BY id DESC LIMIT 1",
                                   (target, purpose))
        return await self._one("SELECT * FROM codes WHERE target = ? AND purpose = ? AND origin = ? "
                               "ORDER BY id DESC LIMIT 1", (target, purpose, origin))

    async def count_codes_since(self, target: str, since: float) -> int:
        row = await self._one("SELECT count(*) AS n FROM codes WHERE target = ? AND created_at > ?", (target, since))
        return row["n"]

    async def count_code_attempt(self, code_id: int, limit: int) -> bool:
        return bool(await self._update(
            "UPDATE codes SET attempts = attempts + 1 WHERE id = ? AND used_at IS NULL AND attempts < ?",
            (code_id, limit)))

    async def consume_code(self, code_id: int, now: float) -> bool:
        return bool(await self._update("UPDATE codes SET used_at = ? WHERE id = ? AND used_at IS NULL", (now, code_id)))

    async def keep_setting(self, name: str, value: str) -> str:
        async with self._transaction():
            await self._db.execute("INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)", (name, value))
        row = await self._one("SELECT value FROM settings WHERE name = ?", (name,))
        return row["value"]

    async def put_user_config(self, user_id: int, key: str, value: str, now: float, max_keys: int) -> bool:
        # One statement, so the count and the write cannot be split by another writer.
        return bool(await self._update(
            """INSERT INTO user_config (user_id, key, value, updated_at)
               SELECT ?1, ?2, ?3, ?4
               WHERE (SELECT count(*) FROM user_config WHERE user_id = ?1) < ?5
                  OR EXISTS (SELECT 1 FROM user_config WHERE user_id = ?1 AND key = ?2)
               ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at""",
            (user_id, key, value, now, max_keys)))

    async def user_config(self, user_id: int, key: str) -> str | None:
        row = await self._one("SELECT value FROM user_config WHERE user_id = ? AND key = ?", (user_id, key))
        return row["value"] if row else None

    async def put_flow(self, token_hash: str, data: str, expires_at: float) -> None:
        async with self._transaction():
            await self._db.execute(
                "INSERT INTO flows (token_hash, data, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data", (token_hash, data, expires_at))

    async def find_flow(self, token_hash: str, now: float) -> Row | None:
        return await self._one("SELECT * FROM flows WHERE token_hash = ? AND expires_at > ?", (token_hash, now))

    async def delete_flow(self, token_hash: str, now: float) -> None:
        """Deletes this flow, and any that have expired, so the table never grows without end."""
        await self._update("DELETE FROM flows WHERE token_hash = ? OR expires_at <= ?", (token_hash, now))

    async def insert_app(self, values: Mapping[str, Any]) -> Row:
        return await self._insert("apps", values)

    async def find_app(self, app_id: str) -> Row | None:
        return await self._one("SELECT * FROM apps WHERE app_id = ?", (app_id,))

    async def list_apps(self) -> list[Row]:
        async with self._db.execute("SELECT app_id, name, created_at FROM apps ORDER BY created_at, app_id") as cursor:
            return [dict(row) for row in await cursor.fetchall()]

    async def delete_app(self, app_id: str) -> bool:
        return bool(await self._update("DELETE FROM apps WHERE app_id = ?", (app_id,)))

    async def _update(self, sql: str, args: tuple) -> int:
        async with self._transaction():
            async with self._db.execute(sql, args) as cursor:
                count = cursor.rowcount
        return count

    async def revoke_session(self, session_id: int, now: float) -> bool:
        return bool(await self._update(
            "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now, session_id)))

    async def revoke_user_sessions(self, user_id: int, now: float) -> int:
        return await self._update(
            "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", (now, user_id))
