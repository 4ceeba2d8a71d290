"""The unit of work over every aggregate, and the store that opens one."""
from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from facade.core.ports.apps import Apps
from facade.core.ports.codes import Codes
from facade.core.ports.files import Files
from facade.core.ports.flows import Flows
from facade.core.ports.sessions import Sessions
from facade.core.ports.settings import Settings, UserConfig
from facade.core.ports.throttles import Throttles
from facade.core.ports.users import Users


class Taken(Exception):
    """A uniqueness rule refused a write; ``field`` names what was taken
    (username, phone, email, public_id, ...)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class Work(Protocol):
    """One transaction over every aggregate."""
    users: Users
    sessions: Sessions
    codes: Codes
    flows: Flows
    apps: Apps
    settings: Settings
    config: UserConfig
    files: Files
    throttles: Throttles

    async def claim(self, *keys: str) -> None:
        """Until this transaction ends, no other transaction gets past a claim of these keys."""

    async def sweep(self, what: str, now: float, *, codes_before: float, throttles_before: float,
                    files_before: float) -> int:
        """Deletes the ``what`` (one of SWEPT) nothing needs any more: expired flows, codes made before
        ``codes_before``, sessions dead for good, throttle records with neither a failure nor a wait
        since ``throttles_before``, lapsed trust, and files made before ``files_before`` that no user
        refers to and no live flow holds. Returns how many."""


SWEPT = ("flows", "codes", "sessions", "throttles", "trusted_clients", "files", "upload_charges")


class Store(Protocol):
    def write(self) -> AbstractAsyncContextManager[Work]:
        """A transaction: commits when the block ends, rolls back if it raises."""

    def read(self) -> AbstractAsyncContextManager[Work]:
        """Reads only: a connection that does not wait for writers."""

    async def ping(self) -> None:
        """Raises unless the store answers."""

    async def close(self) -> None: ...
