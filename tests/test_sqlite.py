"""What only the SQLite backend has: its migration history and the pragmas
that let several processes share one file."""
from __future__ import annotations

import asyncio
import re
import sqlite3

import pytest

from facade.core.ports import Identifier
from facade.store import StoreUnavailable, open_store, schema


async def test_a_file_is_in_wal_mode_at_the_latest_version(db_path):
    store = await open_store(f"sqlite:///{db_path}")
    await store.close()
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA user_version").fetchone() == (len(schema.SQLITE),)


async def test_a_file_made_by_the_first_version_migrates_forward_keeping_its_users(db_path):
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as db:
        db.executescript(schema.SQLITE[0] + "PRAGMA user_version=1;")
        db.execute("INSERT INTO users (phone, password_hash, created_at, updated_at) VALUES ('13800138000', 'x', 0, 0)")
    store = await open_store(f"sqlite:///{db_path}")
    async with store.read() as work:
        user = await work.users.find(Identifier("phone", "13800138000"))
    await store.close()
    assert re.fullmatch(r"[a-z]{16}", user.public_id)  # migration 2 gave it one


async def test_a_failing_migration_changes_nothing_and_lets_the_process_exit(db_path, monkeypatch):
    """Every pending migration runs in one transaction: a fresh file stays empty."""
    monkeypatch.setattr(schema, "SQLITE", [*schema.SQLITE, "CREATE TABLE broken (;"])
    with pytest.raises(StoreUnavailable) as failed:
        await open_store(f"sqlite:///{db_path}")
    assert isinstance(failed.value.__cause__, sqlite3.OperationalError)
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'users'").fetchone() == (0,)


async def test_a_write_cancelled_while_another_process_holds_the_lock_leaves_no_transaction_open(db_path):
    store = await open_store(f"sqlite:///{db_path}", timeout=5)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's transaction
    try:
        async def wait_to_write() -> None:
            async with store.write() as work:
                await work.settings.keep("k", "v")
        waiting = asyncio.create_task(wait_to_write())
        await asyncio.sleep(0.3)  # inside BEGIN IMMEDIATE, on the connection's thread
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    finally:
        other.execute("ROLLBACK")
        other.close()
    async with asyncio.timeout(5):
        async with store.write() as work:
            assert await work.settings.keep("k", "after") == "after"
    await store.close()
    with sqlite3.connect(db_path, timeout=1) as db:  # and no lock is left held for other processes
        db.execute("BEGIN IMMEDIATE")


async def test_a_batch_insert_leaves_out_only_the_columns_no_row_fills(db_path):
    """Columns empty in every row are left out of the statement; each row keeps its own values, however
    few columns are left (one, here)."""
    store = await open_store(f"sqlite:///{db_path}")
    try:
        async with store.write() as work:
            await work._db.run("CREATE TABLE t (a TEXT, b INTEGER, c TEXT)")
            await work._db.insert_many("t", ("a", "b", "c"), [[None, 1, None], [None, 2, None]])
            await work._db.insert_many("t", ("a", "b", "c"), [[None, 3, None], ["x", None, None], [None, 0, ""]])
            await work._db.insert_many("t", ("a", "b", "c"), [])
    finally:
        await store.close()
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT a, b, c FROM t ORDER BY rowid").fetchall() == [
            (None, 1, None), (None, 2, None), (None, 3, None), ("x", None, None), (None, 0, "")]
