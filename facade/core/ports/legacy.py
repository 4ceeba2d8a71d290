"""The legacy server a login may still need, as the core sees it (facade/core/migration.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Protocol


@dataclass(frozen=True)
class LegacyAccount:
    """What a legacy server's yes to a login said of the user: identifiers, and the ids it showed them
    by (namespace -> (the namespace's rule, the id as text))."""
    username: str | None = None
    phone: str | None = None
    email: str | None = None
    ids: Mapping[str, tuple[str, str]] = field(default_factory=dict)


class LegacyLogin(Protocol):
    """The legacy server a user not yet migrated still logs in with, for one login."""

    async def confirm(self) -> LegacyAccount | None:
        """Whether the legacy server takes this very login (identifier and password): what it said of the
        user, or None when it said no. Raises UpstreamUnavailable when it could not tell (slow, down,
        an answer that cannot be trusted)."""
