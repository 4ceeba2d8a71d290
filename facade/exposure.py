"""What `facade serve` says at start-up about the key that signs tokens, when others could read it.

Without ``security.jwt_secret`` the key is made once and kept in the store's
settings, so that restarts and every process keep tokens valid. Then anyone who
can read the database can mint tokens the dialects accept: every host with a
login to a PostgreSQL database, or every local user when the SQLite file is
readable by its group or others.
"""
from __future__ import annotations

import logging
from typing import Iterable
from urllib.parse import urlsplit

from facade.config import Config
from facade.dialect.declarations import Dialect
from facade.private_files import readable_by_others
from facade.storage_url import describe, sqlite_path

log = logging.getLogger("facade")


def warn_of_kept_key(config: Config, dialects: Iterable[Dialect]) -> None:
    """One WARNING line if a dialect signs tokens with the kept key and the database is readable beyond us."""
    if config["security.jwt_secret"] or not any(d.session and d.session.token == "jwt_hs256" for d in dialects):
        return
    if (readers := _readers(config["storage.url"])) is not None:
        log.warning("security.jwt_secret is not set: tokens are signed with a key kept in the store, and %s: "
                    "whoever reads the key can mint tokens the dialects accept; in production give the key from "
                    "the environment (FACADE_SECURITY__JWT_SECRET)", readers)


def _readers(url: str) -> str | None:
    if urlsplit(url).scheme != "sqlite":
        return f"every host with a login to {describe(url)} can read it"
    path = sqlite_path(url)
    return f"{path} is readable by its group or others" if readable_by_others(path) else None
