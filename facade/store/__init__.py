"""Opens the store a ``storage.url`` names; the scheme picks the backend."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from facade.store.base import Conflict, Store
from facade.store.sqlite import SqliteStore

__all__ = ["BACKENDS", "Conflict", "Store", "open_store", "sqlite_path"]


def sqlite_path(url: str) -> Path:
    """``sqlite:///rel/x.db`` is relative, ``sqlite:////abs/x.db`` absolute."""
    return Path(urlsplit(url).path[1:])


async def _open_sqlite(url: str) -> Store:
    return await SqliteStore.open(sqlite_path(url))


BACKENDS = {"sqlite": _open_sqlite}


async def open_store(url: str) -> Store:
    scheme = urlsplit(url).scheme
    if scheme not in BACKENDS:
        raise ValueError(f"storage.url: unsupported scheme {scheme!r} (have: {', '.join(BACKENDS)})")
    return await BACKENDS[scheme](url)
