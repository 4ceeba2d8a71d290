"""Fixtures: the real app over real HTTP, on a temporary SQLite file.

bcrypt is lowered to 4 rounds through config (tests/test_config.py proves
the default stays 12), and every response is checked against its
dialect's schema, so each test is also a contract test.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Callable

import pytest

from facade import config as configuration
from facade.app import init_app

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
        return {t: self(f"SELECT * FROM {t} ORDER BY id") for t in ("users", "sessions")}


@pytest.fixture
def rows(db_path: Path) -> Rows:
    return Rows(db_path)

