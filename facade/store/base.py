"""The persistence interface the core depends on.

Rows go in and come out as plain dicts keyed by column name, so the core
owns its models and a PostgreSQL store only has to speak the same columns.
"""
from __future__ import annotations

from typing import Any, Mapping, Protocol

Row = dict[str, Any]

# Column names are the only names ever placed in SQL text, and only these.
USER_KEYS = ("id", "public_id", "username_key", "phone", "email")  # to look a user up by
USER_FIELDS = ("password_hash", "nickname", "gender", "birthday", "avatar", "extra", "contact_email",
               "updated_at")  # to change
SESSION_KEYS = ("id", "token_hash")


class Conflict(Exception):
    """A UNIQUE constraint refused a write; ``field`` names the column."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class Store(Protocol):
    async def ping(self) -> bool: ...

    async def close(self) -> None: ...

    async def insert_user(self, values: Mapping[str, Any]) -> Row:
        """Insert and return the stored row; raise Conflict on a taken identifier."""

    async def find_user(self, key: str, value: Any) -> Row | None: ...

    async def update_user(self, user_id: int, values: Mapping[str, Any]) -> None: ...

    async def insert_session(self, values: Mapping[str, Any]) -> Row: ...

    async def find_live_session(self, key: str, value: Any, now: float) -> Row | None:
        """The session whose ``key`` (id or token_hash) is ``value``, unless revoked or expired at ``now``."""

    async def insert_code(self, values: Mapping[str, Any]) -> Row: ...

    async def latest_code(self, target: str, purpose: str, origin: str | None = None) -> Row | None:
        """The newest code for this target and purpose, sent through ``origin`` (None: through any)."""

    async def count_codes_since(self, target: str, since: float) -> int: ...

    async def count_code_attempt(self, code_id: int, limit: int) -> bool:
        """Atomically counts one try; False if the code is used or out of tries."""

    async def consume_code(self, code_id: int, now: float) -> bool:
        """True if this call used the code up (False if it already was)."""

    async def keep_setting(self, name: str, value: str) -> str:
        """Stores ``value`` unless ``name`` has one already; returns the value kept."""

    async def put_user_config(self, user_id: int, key: str, value: str, now: float, max_keys: int) -> bool:
        """Sets the key unless that would give the user more than ``max_keys`` keys (then False)."""

    async def user_config(self, user_id: int, key: str) -> str | None: ...

    async def put_flow(self, token_hash: str, data: str, expires_at: float) -> None:
        """Creates the flow, or replaces its data (keeping its expiry)."""

    async def find_flow(self, token_hash: str, now: float) -> Row | None: ...

    async def delete_flow(self, token_hash: str, now: float) -> None: ...

    async def insert_app(self, values: Mapping[str, Any]) -> Row: ...

    async def find_app(self, app_id: str) -> Row | None: ...

    async def list_apps(self) -> list[Row]:
        """Every app's id, name and created_at (never its secret hash), oldest first."""

    async def delete_app(self, app_id: str) -> bool: ...

    async def revoke_session(self, session_id: int, now: float) -> bool:
        """True if this call revoked it (False if it already was)."""

    async def revoke_user_sessions(self, user_id: int, now: float) -> int: ...
