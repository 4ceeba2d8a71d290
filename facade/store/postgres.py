"""The scale-out store: PostgreSQL through an asyncpg connection pool.

Any number of facade processes, on any number of hosts, share one database:
- ``claim`` takes transaction-scoped advisory locks (in sorted order, so two
  claims never wait on each other in a circle); with READ COMMITTED, every
  statement after the claim sees what earlier holders committed.
- Migrations run under a session advisory lock, so processes starting
  together migrate once; the version is read after the lock is held.
- Every wait is bounded (connecting, taking a pooled connection, each
  statement): a database that is down or slow answers with an error in
  ``timeout`` seconds, and the pool reconnects once it is back.

``storage.url`` is ``postgresql://user[:password]@host[:port]/database``;
``?schema=name`` keeps the tables in that schema (created if missing).
"""
from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from facade.core.faults import StoreFault
from facade.core.ports import Taken
from facade.store import schema
from facade.store.faults import DRIVER_FAULTS
from facade.store.sql.records import Row, Rows, field_of
from facade.store.sql.work import SqlWork

MIGRATION_LOCK = 0x66616361646531  # any fixed number; "facade1"
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_UNIQUE_KEY = re.compile(r"Key \(([^)]*)\)=")


def _taken(error: asyncpg.UniqueViolationError) -> Taken:
    found = _UNIQUE_KEY.search(error.detail or "")
    return Taken(field_of(found.group(1)) if found else error.constraint_name or "unknown")


class PostgresDb(Rows):
    def __init__(self, connection: asyncpg.Connection, growth: dict[str, int]) -> None:
        self._connection = connection
        self._growth = growth  # the store's: users inserted in bulk since, and until, its last ANALYZE

    async def all(self, sql: str, *args: Any) -> list[Row]:
        try:
            return [dict(row) for row in await self._connection.fetch(sql, *args)]
        except asyncpg.UniqueViolationError as error:
            raise _taken(error) from None

    async def run(self, sql: str, *args: Any) -> int:
        try:
            status = await self._connection.execute(sql, *args)
        except asyncpg.UniqueViolationError as error:
            raise _taken(error) from None
        return int(status.rsplit(" ", 1)[-1])  # "UPDATE 3", "INSERT 0 1"

    async def insert_many(self, table: str, columns: tuple[str, ...], rows: list[list[Any]]) -> None:
        if rows:
            try:  # COPY: one stream of rows, the fastest way in
                await self._connection.copy_records_to_table(table, records=rows, columns=columns)
            except asyncpg.UniqueViolationError as error:
                raise _taken(error) from None

    def among(self, values: list[Any], start: int) -> tuple[str, list[Any]]:
        # One array, not a placeholder per value: one statement to plan and keep, whatever the count.
        return f"= ANY(${start})", [values]

    async def claim(self, keys: list[str]) -> None:
        # Advisory locks belong to the database, not the schema: the schema is part of the key, so two
        # deployments in one database (?schema=) never wait on each other's users.
        for key in keys:
            await self._connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || $1, 0))", key)

    async def next_user_ids(self, count: int) -> list[int]:
        rows = await self._connection.fetch("SELECT nextval(pg_get_serial_sequence('users', 'id')) AS id "
                                            "FROM generate_series(1, $1)", count)
        return [row["id"] for row in rows]

    async def grew(self, rows: int) -> None:
        # A fresh table's statistics say it is empty until autovacuum samples it (a minute or more on):
        # planned by them, an import's look-ups scanned ever larger tables and timed out past ~60,000
        # users. Sampled again each time the users inserted here have doubled: a few times per import.
        growth = self._growth
        growth["added"] += rows
        if growth["added"] >= max(growth["sampled"], 1000):
            await self._connection.execute("ANALYZE users, user_ids")
            growth["sampled"] += growth["added"]
            growth["added"] = 0

    async def keep_user_ids_above(self, floor: int) -> None:
        # The lock waits for registrations in flight (they hold ids taken before the sequence moves) and
        # holds new ones until this transaction ends, so no user can get an id at or below the floor.
        await self._connection.execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
        await self._connection.execute(
            "SELECT setval(seq::regclass, GREATEST($1::bigint, coalesce(pg_sequence_last_value(seq::regclass), 0), 1))"
            " FROM pg_get_serial_sequence('users', 'id') AS seq", floor)


def split_url(url: str) -> tuple[str, str | None]:
    """The URL asyncpg connects to, and the schema named by ``?schema=`` (None: the default)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    chosen = [value for key, value in query if key == "schema"]
    rest = urlencode([(key, value) for key, value in query if key != "schema"])
    if chosen and not _SCHEMA_NAME.fullmatch(chosen[-1]):
        raise ValueError("storage.url: schema must be a lowercase SQL name")
    return urlunsplit(parts._replace(scheme="postgresql", query=rest)), (chosen[-1] if chosen else None)


class PostgresStore:
    def __init__(self, pool: asyncpg.Pool, timeout: float) -> None:
        self._pool = pool
        self._timeout = timeout
        self._growth = {"added": 0, "sampled": 0}

    @classmethod
    async def open(cls, url: str, *, timeout: float = 5, pool_size: int = 10) -> "PostgresStore":
        dsn, schema_name = split_url(url)
        await _migrate(dsn, schema_name, timeout)
        settings = {"search_path": schema_name} if schema_name else {}
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=pool_size, timeout=timeout,
                                         command_timeout=timeout, server_settings=settings)
        return cls(pool, timeout)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqlWork]:
        with DRIVER_FAULTS:
            async with _Acquired(self._pool, self._timeout) as connection:
                async with connection.transaction():
                    yield SqlWork(PostgresDb(connection, self._growth))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqlWork]:
        with DRIVER_FAULTS:
            async with _Acquired(self._pool, self._timeout) as connection:
                yield SqlWork(PostgresDb(connection, self._growth))

    async def ping(self) -> None:
        async with self.read() as work:
            await work.ping()

    async def close(self) -> None:
        """Waits for the connections in use, but not for a database that has gone away: a server that is
        stopping must stop."""
        try:
            await asyncio.wait_for(self._pool.close(), timeout=max(self._timeout, 5))
        except TimeoutError:
            self._pool.terminate()


class _Acquired:
    """A pooled connection; a wait for one that runs out, or a database that cannot be reached, is a StoreFault."""
    __slots__ = ("_acquiring",)

    def __init__(self, pool: asyncpg.Pool, timeout: float) -> None:
        self._acquiring = pool.acquire(timeout=timeout)

    async def __aenter__(self) -> asyncpg.Connection:
        try:
            return await self._acquiring.__aenter__()
        except OSError as error:  # TimeoutError among them
            raise StoreFault(f"no connection: {error.strerror or type(error).__name__}") from None

    async def __aexit__(self, *exc: Any) -> None:
        await self._acquiring.__aexit__(*exc)


async def _migrate(dsn: str, schema_name: str | None, timeout: float) -> None:
    connection = await asyncpg.connect(dsn, timeout=timeout, command_timeout=max(timeout, 60))
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        if schema_name:
            await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema_name}"')
            await connection.execute(f'SET search_path TO "{schema_name}"')
        async with connection.transaction():
            await connection.execute("CREATE TABLE IF NOT EXISTS facade_schema (version INTEGER NOT NULL)")
            version = await connection.fetchval("SELECT version FROM facade_schema")
            if version is None:
                await connection.execute("INSERT INTO facade_schema (version) VALUES (0)")
                version = 0
            for script in schema.POSTGRES[version:]:
                for statement in schema.statements(script):
                    await connection.execute(statement)
            await connection.execute("UPDATE facade_schema SET version = $1", len(schema.POSTGRES))
    finally:
        await connection.close()  # ends the session, and with it the advisory lock
