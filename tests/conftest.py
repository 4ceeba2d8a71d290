"""Fixtures: the real app over real HTTP, on a temporary SQLite file, or
(for modules marked ``every_backend``) on each backend in turn: SQLite and
a real PostgreSQL server, named by ``FACADE_TEST_POSTGRES``
(e.g. ``postgresql://postgres@127.0.0.1:5432/test``), where every test gets
a schema of its own, dropped afterwards. Without that variable the
PostgreSQL cases skip, saying why.

bcrypt is lowered to 4 rounds through config (tests/test_config.py proves
the default stays 12), and every response is checked against its
dialect's schema, so each test is also a contract test.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any, Callable

import pytest

# Before the core is imported: an operation raising an outcome it did not declare fails the test (the
# loader checks mappings against those declarations), here and in every server process a test starts.
os.environ["FACADE_STRICT_OUTCOMES"] = "1"

from facade import app as app_module  # noqa: E402
from facade import shipped
from facade import config as configuration
from facade.admin import admin_app
from facade.app import init_app
from facade.core.passwords import PasswordHasher
from facade.core.service import UserCore
from facade.core.throttle import LoginThrottle
from facade.images import redrawn
from facade.notify.outbox import Outbox
from facade.store import open_store

from tests.rows import PostgresRows, Rows, SqliteRows, drop_schema

ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = shipped.MAPPINGS  # the mappings the project ships
CONFIG_FILE = ROOT / "config.yaml"  # the starter config, every key at its default
FIXTURES = Path(__file__).resolve().parent / "fixtures"
POSTGRES = os.environ.get("FACADE_TEST_POSTGRES")
BACKENDS = ("sqlite", "postgresql")


_LOADED: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _mappings_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checking five mappings against their JSON Schema takes a fifth of a second; a test app
    built from the same files and settings as an earlier one reuses what that check produced."""
    real = app_module.load_dialects

    def once(directory: Path, *args: Any, **options: Any) -> Any:
        files = sorted((f.name, f.stat().st_mtime_ns) for f in directory.glob("*.yaml")) if directory.is_dir() else []
        key = json.dumps([str(directory), files, [str(a) for a in args], options], sort_keys=True, default=str)
        if key not in _LOADED:
            _LOADED[key] = real(directory, *args, **options)
        return _LOADED[key]
    monkeypatch.setattr(app_module, "load_dialects", once)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``every_backend`` run once per backend; the rest on SQLite only."""
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("every_backend"):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture(autouse=True)
def _console_logging_undone():
    """`facade serve` run in this process sets up the console log; the next test starts without it."""
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "facade"]:
        root.removeHandler(handler)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    chosen = getattr(request, "param", "sqlite")
    if chosen == "postgresql" and not POSTGRES:
        pytest.skip("PostgreSQL: set FACADE_TEST_POSTGRES=postgresql://user@host:5432/db to run these")
    return chosen


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "facade.db"


@pytest.fixture
def storage_url(backend: str, db_path: Path):
    """The store's URL: a SQLite file, or a PostgreSQL schema of this test's own."""
    if backend == "sqlite":
        yield f"sqlite:///{db_path}"
        return
    schema = f"t_{secrets.token_hex(6)}"
    separator = "&" if "?" in POSTGRES else "?"
    yield f"{POSTGRES}{separator}schema={schema}"
    drop_schema(POSTGRES, schema)


@pytest.fixture
def make_config(tmp_path: Path, storage_url: str) -> Callable[..., configuration.Config]:
    def make(*overrides: str, mappings: Path = MAPPINGS) -> configuration.Config:
        return configuration.load(str(CONFIG_FILE), [
            f"storage.url={storage_url}",
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


@pytest.fixture
def admin_client(aiohttp_client):
    """The admin listener's app beside a public app a test serves (the public one started first)."""
    async def of(public, clock: Callable[[], float] = time.monotonic):
        return await aiohttp_client(admin_app(public.app, clock))
    return of


@pytest.fixture
def rows(backend: str, db_path: Path, storage_url: str) -> Rows:
    return SqliteRows(db_path) if backend == "sqlite" else PostgresRows(storage_url)


class Clock:
    """An injectable clock: tests move ``now`` instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(storage_url):
    opened = await open_store(storage_url)
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
def core(store, clock, outbox_path):
    """The core over a real store, with an injectable clock and the outbox notifier."""
    return UserCore(store, PasswordHasher(rounds=4), session_ttl=3600, session_ttl_max=7200,
                    notifier=Outbox(outbox_path), throttle=LoginThrottle(store, clock), clock=clock,
                    redraw=redrawn)


@pytest.fixture
def importing(tmp_path: Path, storage_url: str, capsys):
    """`facade import` on files the test writes into its folder, over the test's store."""
    from tests.importing import Importing  # the helper imports this module: import it when needed
    return Importing(tmp_path, storage_url, capsys)


_LEGACY: list[Any] = []  # the legacy express stand-in, one process for the session while it runs


@pytest.fixture
async def legacy():
    """The legacy express stand-in (tests/legacy_express.py) as a real process, reset for each test; one a
    test stopped is started anew for the next."""
    from tests.legacy import LegacyServer  # the helper imports this module: import it when needed
    if not _LEGACY or not _LEGACY[0].running():
        _LEGACY[:] = [await LegacyServer().start()]
    yield await _LEGACY[0].reset()


def pytest_sessionfinish(session: pytest.Session) -> None:
    for server in _LEGACY:
        server.stop()
