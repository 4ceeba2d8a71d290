"""A store that cannot serve (a SQLite file another process holds locked beyond storage.timeout) is a
store fault: the dialect's error for it, one WARNING line naming it, no traceback, nothing stored."""
from __future__ import annotations

import logging
import sqlite3

import pytest

from facade.app import init_app
from tests.clients import dialects
from tests.test_metrics import scrape, value

PHONE = "13800138000"
EXPRESS_INTERNAL = '{"code":5000,"msg":"error","userMsg":"系统繁忙,请稍后再试","data":null}'


@pytest.fixture
async def locked(aiohttp_client, make_config, db_path):
    """The app over a SQLite file whose write lock another connection holds."""
    client = await aiohttp_client(init_app(make_config("storage.timeout=0.2")))
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield client
    holder.rollback()
    holder.close()


async def test_a_locked_sqlite_store_answers_the_dialects_error_and_logs_one_warning(locked, rows, caplog):
    before = rows.snapshot()
    caplog.set_level(logging.INFO)
    response = await dialects()["express"].register(locked, PHONE, "s3cret-pw-1", None)
    assert (response.status, response.content_type, await response.text()) == (
        200, "application/json", EXPRESS_INTERNAL)
    faults = [r for r in caplog.records if r.name == "facade.requests" and r.levelno >= logging.WARNING]
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in faults] == [
        ("WARNING", "store fault: OperationalError: database is locked", None)]
    assert "unexpected error" not in caplog.text and "Traceback" not in caplog.text
    assert rows.snapshot() == before


async def test_a_store_fault_is_counted_by_the_drivers_error(locked, admin_client):
    admin = await admin_client(locked)
    await dialects()["express"].register(locked, PHONE, "s3cret-pw-1", None)
    found = await scrape(admin)
    assert value(found, "facade_store_errors_total", error="OperationalError") == 1
    assert value(found, "facade_requests_total", dialect="express", route="register", outcome="internal") == 1
