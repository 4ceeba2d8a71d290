"""Opens the store a ``storage.url`` names; the scheme picks the backend.

Backends implement the ports the core declares (facade/core/ports.py);
nothing above this package knows SQL.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

from facade import log_safety
from facade.core.ports import Store

__all__ = ["BACKENDS", "open_store", "sqlite_path"]


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


async def open_store(url: str, *, timeout: float = 5, pool_size: int = 10) -> Store:
    log_safety.install()  # the drivers never log statements' parameters, at any level
    scheme = urlsplit(url).scheme
    if scheme not in BACKENDS:
        raise ValueError(f"storage.url: unsupported scheme {scheme!r} (have: {', '.join(BACKENDS)})")
    return await BACKENDS[scheme](url, timeout=timeout, pool_size=pool_size)
