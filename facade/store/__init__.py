"""Opens the store a ``storage.url`` names; the scheme picks the backend.

Backends implement the ports the core declares (facade/core/ports.py);
nothing above this package knows SQL.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

from facade import log_safety
from facade.core.ports import Store

__all__ = ["BACKENDS", "StoreFault", "StoreUnavailable", "describe", "driver_error", "open_store", "sqlite_path",
           "will_create"]
DRIVERS = ("sqlite3", "aiosqlite", "asyncpg")


class StoreUnavailable(Exception):
    """The store could not be opened: a path that cannot be written, a database that cannot be reached."""


class StoreFault(Exception):
    """A wait on the store that ran out (a connection, a turn to write) or a connection that could not be made."""


def sqlite_path(url: str) -> Path:
    """``sqlite:///rel/x.db`` is relative, ``sqlite:////abs/x.db`` absolute."""
    return Path(urlsplit(url).path[1:])


async def _open_sqlite(url: str, *, timeout: float, **options: Any) -> Store:
    from facade.store.sqlite import SqliteStore
    return await SqliteStore.open(sqlite_path(url), timeout=timeout)


async def _open_postgres(url: str, **options: Any) -> Store:
    from facade.store.postgres import PostgresStore  # imported only when asked for
    return await PostgresStore.open(url, **options)


BACKENDS: dict[str, Callable[..., Awaitable[Store]]] = {
    "sqlite": _open_sqlite, "postgresql": _open_postgres, "postgres": _open_postgres}


def describe(url: str) -> str:
    """The URL as it may be shown: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def driver_error(error: BaseException) -> str | None:
    """The name of a store fault: a database driver's error (a lock held too long, a connection lost) or
    the store's own StoreFault; else None."""
    if isinstance(error, StoreFault) or type(error).__module__.split(".")[0] in DRIVERS:
        return type(error).__name__
    return None


def fault_reason(error: BaseException) -> str:
    """What a store fault says, as it may be logged: the driver's first line (no statement's values: the
    drivers' messages name constraints and columns, not values), bounded."""
    return _reason(error)[:200]


def will_create(url: str) -> bool:
    """Whether opening this store makes a new, empty database (a SQLite file not there yet)."""
    return urlsplit(url).scheme == "sqlite" and not sqlite_path(url).exists()


async def open_store(url: str, *, timeout: float = 5, pool_size: int = 10) -> Store:
    log_safety.install()  # the drivers never log statements' parameters, at any level
    scheme = urlsplit(url).scheme
    if scheme not in BACKENDS:
        raise ValueError(f"storage.url: unsupported scheme {scheme!r} (have: {', '.join(BACKENDS)})")
    try:
        return await BACKENDS[scheme](url, timeout=timeout, pool_size=pool_size)
    except Exception as error:  # OSError, TimeoutError, and each driver's own (sqlite3, asyncpg)
        raise StoreUnavailable(f"cannot open {describe(url)}: {_reason(error)}") from error


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror + (f": {error.filename}" if error.filename else "")
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
