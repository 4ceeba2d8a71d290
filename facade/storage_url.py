"""What a ``storage.url`` says, read without opening it: the backends its scheme may name, the SQLite file,
the URL as it may be shown. For the config and the operators' messages, which need no database driver."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SCHEMES = ("sqlite", "postgresql", "postgres")  # each opens a backend (facade.store.BACKENDS)


def sqlite_path(url: str) -> Path:
    """``sqlite:///rel/x.db`` is relative, ``sqlite:////abs/x.db`` absolute."""
    return Path(urlsplit(url).path[1:])


def describe(url: str) -> str:
    """The URL as it may be shown: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def will_create(url: str) -> bool:
    """Whether opening this store makes a new, empty database (a SQLite file not there yet)."""
    return urlsplit(url).scheme == "sqlite" and not sqlite_path(url).exists()
