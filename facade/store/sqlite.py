"""The embedded default store: SQLite through aiosqlite, safe for several
processes on one file.

- Writes go through one connection per process, each transaction opened
  with BEGIN IMMEDIATE: it takes the database's write lock before its first
  read, so "read, decide, write" cannot interleave with another writer in
  this process or any other, and a lock held elsewhere is waited for (the
  busy timeout) instead of failing half way. That is also why ``claim`` has
  nothing left to do here.
- Reads go through a few other connections. In WAL mode they read the last
  commit without waiting for, or blocking, the writer.
- A single-row read (a look-up by a key: a user, a session, an app) runs on
  the event loop's own thread, on one more read-only connection: handing it
  to a connection's thread and back cost more than the read itself. It never
  waits there: should the file be busy, or anything else go wrong, the same
  read goes the threaded way, which waits as long as the store's timeout
  allows and fails as it always did. Reads of many rows stay threaded.
- Migrations run in one immediate transaction that reads the schema version
  inside it, so processes starting together migrate once.
"""
from __future__ import annotations

import asyncio
import functools
import random
import re
import sqlite3
from contextlib import asynccontextmanager
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any, AsyncIterator

import aiosqlite

from facade import private_files
from facade.core.faults import StoreFault
from facade.core.ports import Taken
from facade.store import schema
from facade.store.faults import DRIVER_FAULTS, as_fault
from facade.store.sql.records import Row, Rows, field_of
from facade.store.sql.work import SqlWork

READERS = 2
BULK_CHECKPOINT_PAGES = 10_000  # 40 MB of log between checkpoints once a connection writes in bulk (default: 1,000)
CACHE_KIB = 32 * 1024  # page cache per connection: a million users' indexes stay in memory while written
# Placeholders one statement may hold: SQLite's default since 3.32 (999 before).
MAX_VARIABLES = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
_PLACEHOLDER = re.compile(r"\$(\d+)")
_UNIQUE_FAILED = re.compile(r"UNIQUE constraint failed: ((?:\w+\.\w+(?:, )?)+)")


@functools.lru_cache(maxsize=256)  # bounded: an import's look-ups differ in length from batch to batch
def _sqlite_sql(sql: str) -> str:
    """PostgreSQL's ``$1`` as SQLite's ``?1``."""
    return _PLACEHOLDER.sub(r"?\1", sql)


@functools.lru_cache(maxsize=16)
def _insert_rows(table: str, columns: tuple[str, ...], count: int) -> str:
    row = "(%s)" % ", ".join("?" * len(columns))
    return "INSERT INTO %s (%s) VALUES %s" % (table, ", ".join(columns), ", ".join([row] * count))


def _filled(rows: list[list[Any]]) -> list[int]:
    """The columns where some row has a value. Only those empty in the first row are looked at row by row,
    without gathering every row's values by column first (three times as slow for a batch of users)."""
    empty = {i for i, value in enumerate(rows[0])
             if value is None and list(map(itemgetter(i), rows)).count(None) == len(rows)}
    return [i for i in range(len(rows[0])) if i not in empty]


def _taken(error: sqlite3.IntegrityError) -> Exception:
    found = _UNIQUE_FAILED.search(str(error))
    if found is None:
        return error
    columns = ", ".join(part.split(".")[1] for part in found.group(1).split(", "))
    return Taken(field_of(columns))


class SqliteDb(Rows):
    def __init__(self, connection: aiosqlite.Connection, inline: sqlite3.Connection | None = None) -> None:
        self._connection = connection
        self._inline = inline  # readers only: see the module's docstring
        self._bulk = False  # whether this connection has written in bulk (``grew``)

    async def one(self, sql: str, *args: Any) -> Row | None:
        if self._inline is not None:
            try:
                cursor = self._inline.execute(_sqlite_sql(sql), args)
                try:
                    row = cursor.fetchone()
                finally:
                    cursor.close()  # no statement left open, holding a snapshot of the file
            except sqlite3.Error:
                pass  # busy, or anything else: the threaded way below, as before
            else:
                return None if row is None else dict(zip(row.keys(), row, strict=True))
        return await super().one(sql, *args)

    async def all(self, sql: str, *args: Any) -> list[Row]:
        try:
            rows = await self._connection.execute_fetchall(_sqlite_sql(sql), args)
        except sqlite3.IntegrityError as error:
            raise _taken(error) from None
        names = rows[0].keys() if rows else ()  # once, not per row: an import reads thousands at a time
        return [dict(zip(names, row, strict=True)) for row in rows]

    async def run(self, sql: str, *args: Any) -> int:
        try:
            async with self._connection.execute(_sqlite_sql(sql), args) as cursor:
                return cursor.rowcount
        except sqlite3.IntegrityError as error:
            raise _taken(error) from None

    async def insert_many(self, table: str, columns: tuple[str, ...], rows: list[list[Any]]) -> None:
        # Many rows per statement: one step of SQLite's each (the GIL released throughout), not one per row.
        # Only the columns some row fills (the others are NULL all the same): Python's sqlite3 binds a None
        # through its adapter look-ups, about 0.5 µs each, and imported users leave most of a profile empty
        # (nine columns of an express user: 5 µs of a row's 15 to insert).
        if not rows:
            return
        filled = _filled(rows)
        names = tuple(columns[i] for i in filled)
        pick = itemgetter(*filled) if len(filled) > 1 else lambda row: (row[filled[0]],)  # a tuple either way
        per = MAX_VARIABLES // len(names)
        try:
            for start in range(0, len(rows), per):
                chunk = rows[start:start + per]
                await self._connection.execute(_insert_rows(table, names, len(chunk)),
                                               list(chain.from_iterable(map(pick, chunk))))
        except sqlite3.IntegrityError as error:
            raise _taken(error) from None

    def among(self, values: list[Any], start: int) -> tuple[str, list[Any]]:
        # Bare '?'s, numbered by SQLite after the highest before them (start - 1): preparing ?1 … ?10000
        # takes it 120 ms (each number is looked for among those before it), 10,000 '?'s 7 ms. Each new
        # count is prepared anew, and an import's rejected rows make the counts differ from batch to batch.
        return f"IN ({', '.join('?' * len(values))})", values

    async def claim(self, keys: list[str]) -> None:
        """Nothing to do: BEGIN IMMEDIATE already made this the only writer."""

    async def next_user_ids(self, count: int) -> list[int]:
        """Above every id ever used: inserting them moves AUTOINCREMENT's record past them."""
        row = await self.one("SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'users'), 0), "
                             "coalesce((SELECT max(id) FROM users), 0)) AS top")
        return list(range(row["top"] + 1, row["top"] + count + 1))

    async def grew(self, rows: int) -> None:
        """SQLite plans these look-ups by its indexes alone; what bulk writes change is the log. Each batch of
        an import touches most pages of the index on public ids (they are random), and copying them back
        into the file after every batch, as the default checkpoint does, was a fifth of an import's time."""
        if not self._bulk:
            self._bulk = True
            await self._connection.execute(f"PRAGMA wal_autocheckpoint={BULK_CHECKPOINT_PAGES}")

    async def keep_user_ids_above(self, floor: int) -> None:
        await self.run("INSERT INTO sqlite_sequence (name, seq) SELECT 'users', 0 "
                       "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'users')")
        await self.run("UPDATE sqlite_sequence SET seq = max(seq, $1) WHERE name = 'users'", floor)


async def _connect(path: Path, timeout: float, *, read_only: bool = False) -> aiosqlite.Connection:
    # isolation_level=None: transactions begin and end exactly where this module says.
    connection = await aiosqlite.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    try:
        await connection.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")  # another process's write
        await _wal(connection, timeout)
        await connection.execute("PRAGMA synchronous=NORMAL")  # WAL: a crashed process loses no commit
        await connection.execute("PRAGMA foreign_keys=ON")
        await connection.execute(f"PRAGMA cache_size={-CACHE_KIB}")
        if read_only:
            await connection.execute("PRAGMA query_only=ON")
    except BaseException:
        await connection.close()  # else its thread outlives the failure and the process cannot exit
        raise
    return connection


async def _wal(connection: aiosqlite.Connection, timeout: float) -> None:
    """Switches the file to WAL. That takes an exclusive lock, and SQLite answers "locked" at once,
    without waiting, when two connections opening a fresh file collide over it; the mode is kept in
    the file, so once any of them has switched it the others find it done."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(random.uniform(0.005, 0.05))


def _connect_inline(path: Path) -> sqlite3.Connection:
    """The loop thread's read-only connection: busy_timeout 0, so it never makes the loop wait."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA busy_timeout=0")
        connection.execute(f"PRAGMA cache_size={-CACHE_KIB}")
        connection.execute("PRAGMA query_only=ON")
    except BaseException:
        connection.close()
        raise
    return connection


class SqliteStore:
    def __init__(self, writer: aiosqlite.Connection, readers: list[aiosqlite.Connection], timeout: float,
                 inline: sqlite3.Connection | None = None) -> None:
        self._writer = writer
        self._inline = inline
        self._timeout = timeout
        self._writing = asyncio.Lock()  # one transaction at a time on the one writer connection
        self._all_readers = readers
        # Each connection's aggregates are made once: they hold nothing but the connection.
        self._writer_work = SqlWork(SqliteDb(writer))
        self._readers: asyncio.Queue[SqlWork] = asyncio.Queue()
        for reader in readers:
            self._readers.put_nowait(SqlWork(SqliteDb(reader, inline)))

    @classmethod
    async def open(cls, path: Path, readers: int = READERS, timeout: float = 5) -> "SqliteStore":
        private_files.create(path)  # SQLite gives its -wal and -shm files the database file's mode
        writer = await _connect(path, timeout)
        opened = [writer]
        try:
            await _migrate(writer)
            for _ in range(readers):
                opened.append(await _connect(path, timeout, read_only=True))
            inline = _connect_inline(path)
        except BaseException:
            for connection in opened:
                await connection.close()
            raise
        return cls(writer, opened[1:], timeout, inline)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqlWork]:
        try:
            async with asyncio.timeout(self._timeout):  # waiting for this process's other writers
                await self._writing.acquire()
        except TimeoutError:
            raise StoreFault(f"no turn to write within {self._timeout} s") from None
        try:
            with DRIVER_FAULTS:
                async with self._transaction() as work:
                    yield work
        finally:
            self._writing.release()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[SqlWork]:
        try:
            # Shielded: if the request is cancelled while the BEGIN waits for another process's lock, the
            # BEGIN still completes on the connection's thread, and the rollback below must find it.
            await asyncio.shield(self._writer.execute("BEGIN IMMEDIATE"))
        except BaseException:
            await asyncio.shield(self._writer.rollback())  # a no-op unless the BEGIN went through
            raise
        try:
            yield self._writer_work
            # Shielded: a cancelled request must not leave the connection inside a transaction
            # the next writer would join. Its commit completes; only its answer is lost.
            await asyncio.shield(self._writer.commit())
        except BaseException:  # a failed commit too: nothing may stay open (after a commit, a no-op)
            await asyncio.shield(self._writer.rollback())
            raise

    def read(self) -> "_Reading":
        return _Reading(self._readers)

    async def ping(self) -> None:
        async with self.read() as work:
            await work.ping()

    async def close(self) -> None:
        if self._inline is not None:
            self._inline.close()
        for connection in (self._writer, *self._all_readers):
            await connection.close()


class _Reading:
    """A reader borrowed from the pool for one unit of work. A class, not a generator-based context
    manager: every request that reads takes one, and this costs a third as much."""
    __slots__ = ("_pool", "_work")

    def __init__(self, pool: asyncio.Queue) -> None:
        self._pool = pool

    async def __aenter__(self) -> SqlWork:
        self._work = await self._pool.get()
        return self._work

    async def __aexit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        self._pool.put_nowait(self._work)
        if error is not None and (fault := as_fault(error)) is not None:
            raise fault from error


async def _migrate(connection: aiosqlite.Connection) -> None:
    try:
        await asyncio.shield(connection.execute("BEGIN IMMEDIATE"))
        [(version,)] = await connection.execute_fetchall("PRAGMA user_version")
        for script in schema.SQLITE[version:]:
            for statement in schema.statements(script):
                await connection.execute(statement)
        if version < len(schema.SQLITE):
            await connection.execute(f"PRAGMA user_version={len(schema.SQLITE)}")
    except BaseException:
        await asyncio.shield(connection.rollback())
        raise
    await connection.commit()
