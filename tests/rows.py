"""Reads a store's tables directly, beside the app, to prove what a request
did or did not write. Tests call it synchronously, whatever the backend:
PostgreSQL is read on a thread of its own with its own event loop."""
from __future__ import annotations

import asyncio
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import asyncpg

from facade.store.postgres import split_url

Row = dict[str, Any]
HIDDEN = ("facade_schema",)  # the backend's own bookkeeping, not the core's data


class Rows(Protocol):
    def __call__(self, sql: str, *args: Any) -> list[Row]: ...

    def snapshot(self, *, but: tuple[str, ...] = ()) -> dict[str, list[Row]]:
        """Every table's rows, whatever tables later migrations add, except the tables named in
        ``but`` (a failed login rightly writes its throttle count)."""


class SqliteRows:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, sql: str, *args: Any) -> list[Row]:
        if not self.path.exists():  # no store opened yet: nothing written
            return []
        with sqlite3.connect(self.path) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(sql, args)]

    def snapshot(self, *, but: tuple[str, ...] = ()) -> dict[str, list[Row]]:
        tables = [r["name"] for r in self("SELECT name FROM sqlite_master WHERE type = 'table' "
                                          "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: self(f"SELECT * FROM {t} ORDER BY rowid") for t in tables if t not in but}


def _run(coroutine: Any) -> Any:
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


class PostgresRows:
    def __init__(self, url: str) -> None:
        self.dsn, self.schema = split_url(url)

    def __call__(self, sql: str, *args: Any) -> list[Row]:
        return _run(self._fetch(sql, args))

    async def _fetch(self, sql: str, args: tuple[Any, ...]) -> list[Row]:
        numbered = iter(range(1, len(args) + 1))
        sql = re.sub(r"\?", lambda _: f"${next(numbered)}", sql)  # the tests' SQLite-style placeholders
        connection = await asyncpg.connect(self.dsn, server_settings={"search_path": self.schema})
        try:
            return [dict(r) for r in await connection.fetch(sql, *args)]
        finally:
            await connection.close()

    def snapshot(self, *, but: tuple[str, ...] = ()) -> dict[str, list[Row]]:
        tables = [r["table_name"] for r in self(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
            self.schema)]
        return {t: sorted(self(f"SELECT * FROM {t}"), key=repr) for t in tables if t not in (*but, *HIDDEN)}


def drop_schema(url: str, schema: str) -> None:
    async def drop() -> None:
        connection = await asyncpg.connect(split_url(url)[0])
        try:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await connection.close()
    _run(drop())
