"""Fixtures: the real app over real HTTP, on a temporary SQLite file.

bcrypt is lowered to 4 rounds through config (tests/test_config.py proves
the default stays 12), and every response is checked against its
dialect's schema, so each test is also a contract test.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Callable

import pytest

from facade import config as configuration
from facade.app import init_app
from facade.core import UserCore
from facade.core.passwords import PasswordHasher
from facade.notify.outbox import Outbox
from facade.store import open_store

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "facade.db"


@pytest.fixture
def make_config(tmp_path: Path, db_path: Path) -> Callable[..., configuration.Config]:
    def make(*overrides: str, mappings: Path = ROOT / "mappings") -> configuration.Config:
        return configuration.load(str(ROOT / "config.yaml"), [
            f"storage.url=sqlite:///{db_path}",
            f"mappings.dir={mappings}",
            f"notify.outbox={tmp_path / 'outbox.jsonl'}",
            f"storage.files={tmp_path / 'files'}",
            "security.bcrypt_rounds=4",
            "mappings.validate_responses=true",
            *overrides,
        ])
    return make


@pytest.fixture
async def client(aiohttp_client, make_config):
    return await aiohttp_client(init_app(make_config()))


class Rows:
    """Reads the store's file directly, to prove what a request did or did not write."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        with sqlite3.connect(self.path) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(sql, args)]

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every table's rows, whatever tables later migrations add."""
        tables = [r["name"] for r in self("SELECT name FROM sqlite_master WHERE type = 'table' "
                                          "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: self(f"SELECT * FROM {t} ORDER BY rowid") for t in tables}


@pytest.fixture
def rows(db_path: Path) -> Rows:
    return Rows(db_path)


class Clock:
    """An injectable clock: tests move ``now`` instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(db_path):
    opened = await open_store(f"sqlite:///{db_path}")
    yield opened
    await opened.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def outbox_path(tmp_path: Path) -> Path:
    return tmp_path / "outbox.jsonl"


def outbox(path: Path) -> list[dict[str, Any]]:
    """Every message the outbox notifier wrote, oldest first."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture
def core(store, clock, outbox_path, tmp_path):
    """The core over a real store, with an injectable clock and the outbox notifier."""
    return UserCore(store, PasswordHasher(rounds=4), session_ttl=3600, session_ttl_max=7200, files=tmp_path / "files",
                    notifier=Outbox(outbox_path), clock=clock)
