"""Users: accounts, what they hold, and the store's look-ups of them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Protocol

IdentifierKind = Literal["username", "phone", "email"]


@dataclass(frozen=True)
class Identifier:
    """A login identifier in its normalised form: what the store compares."""
    kind: IdentifierKind
    value: str


@dataclass(kw_only=True, slots=True)  # not frozen: an import builds a million (frozen costs 3x)
class Held:
    """What an account holds, whether stored or about to be."""
    public_id: str
    username: str | None
    phone: str | None
    email: str | None
    password_hash: str
    nickname: str | None
    gender: int | None
    birthday: int | None
    avatar: str | None
    extra: str | None
    contact_email: str | None
    created_at: float
    phone_verified_at: float | None = None  # when a code proved the phone; None: never
    email_verified_at: float | None = None
    legacy_ids: Mapping[str, str] = field(default_factory=dict)  # namespace -> the id a legacy system showed
    imported_by: str | None = None  # the import run that brought this user, and the line
    imported_line: int | None = None


@dataclass(kw_only=True, slots=True)
class Account(Held):
    """A stored user, password hash included: the core's, never a template's."""
    id: int
    updated_at: float
    sessions_revoked_at: float | None = None  # when every session ended: legacy tokens die with it


@dataclass(kw_only=True, slots=True)
class NewAccount(Held):
    username_key: str | None  # the form usernames are compared in


@dataclass(frozen=True, slots=True)
class Brought:
    """The holder of an imported id as a later run of an import sees it: that holder's id, and the run
    (and line) that brought it; all a second run of a source needs, without reading whole accounts."""
    user_id: int
    imported_by: str | None
    imported_line: int | None


@dataclass(frozen=True)
class ProfileChange:
    """The profile fields to change; None leaves a field as it is."""
    nickname: str | None = None
    gender: int | None = None
    birthday: int | None = None
    contact_email: str | None = None
    extra: str | None = None

    def given(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if value is not None}


class Users(Protocol):
    async def get(self, user_id: int) -> Account | None: ...

    async def find(self, identifier: Identifier) -> Account | None: ...

    async def add(self, new: NewAccount) -> Account:
        """Raises Taken(field) when an identifier or the public id is held."""

    async def change_profile(self, user_id: int, change: ProfileChange, now: float) -> None: ...

    async def set_password(self, user_id: int, password_hash: str, now: float) -> None: ...

    async def set_verified(self, user_id: int, kind: IdentifierKind, now: float) -> None:
        """Records that a code proved this user's phone or e-mail address."""

    async def end_sessions(self, user_id: int, now: float) -> None:
        """Records that every session, legacy tokens included, ended now."""

    async def find_by_legacy_id(self, namespace: str, value: str) -> Account | None: ...

    async def find_by_public_id(self, public_id: str) -> Account | None: ...

    async def legacy_id_exists(self, value: str) -> bool:
        """Whether any namespace gives someone ``value`` as an imported id."""

    # Many at once, for imports.

    async def find_many(self, kind: Literal["username", "phone", "email", "id", "public_id"],
                        values: list[str] | list[int]) -> list[Account]:
        """Identifiers as ``find`` compares them; ids as numbers."""

    async def find_many_by_legacy_id(self, namespace: str, values: list[str]) -> dict[str, Brought]:
        """Who holds each of ``values`` imported in ``namespace``, and which import brought them."""

    async def next_ids(self, count: int) -> list[int]:
        """Ids no user has or will be given otherwise, for ``add_many``."""

    async def keep_ids_above(self, floor: int) -> None:
        """From now on users get ids above ``floor`` (an imported id derived from it stays unique)."""

    async def add_many(self, accounts: list[tuple[int, NewAccount]]) -> None:
        """Inserts users under the ids given, their legacy ids too; Taken if any identifier is held."""

    async def mark_imported(self, user_id: int, run: str, line: int) -> None:
        """Records the import run (and line) that last brought this user's legacy data."""

    async def add_legacy_id(self, user_id: int, namespace: str, value: str) -> None:
        """Raises Taken('legacy_id') when the namespace already gives ``value`` or this user an id."""
