"""Opens the store a ``storage.url`` names; the scheme picks the backend.

Backends implement the ports the core declares (facade/core/ports/);
nothing above this package knows SQL, nor a driver: a driver's error leaves
a unit of work as the core's StoreFault (facade/store/faults.py).
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

from facade import log_safety
from facade.core.ports import Store
from facade.storage_url import describe, sqlite_path
from facade.store.faults import reason

__all__ = ["BACKENDS", "StoreUnavailable", "open_store"]


class StoreUnavailable(Exception):
    """The store could not be opened: a path that cannot be written, a database that cannot be reached."""


async def _open_sqlite(url: str, *, timeout: float, **options: Any) -> Store:
    from facade.store.sqlite import SqliteStore
    return await SqliteStore.open(sqlite_path(url), timeout=timeout)


async def _open_postgres(url: str, **options: Any) -> Store:
    from facade.store.postgres import PostgresStore  # imported only when asked for
    return await PostgresStore.open(url, **options)


BACKENDS: dict[str, Callable[..., Awaitable[Store]]] = {  # one for each of storage_url.SCHEMES
    "sqlite": _open_sqlite, "postgresql": _open_postgres, "postgres": _open_postgres}


async def open_store(url: str, *, timeout: float = 5, pool_size: int = 10) -> Store:
    log_safety.install()  # the drivers never log statements' parameters, at any level
    scheme = urlsplit(url).scheme
    if scheme not in BACKENDS:
        raise ValueError(f"storage.url: unsupported scheme {scheme!r} (have: {', '.join(BACKENDS)})")
    try:
        return await BACKENDS[scheme](url, timeout=timeout, pool_size=pool_size)
    except Exception as error:  # OSError, TimeoutError, and each driver's own (sqlite3, asyncpg)
        raise StoreUnavailable(f"cannot open {describe(url)}: {reason(error)}") from error
