"""The ports the core needs from storage, declared in the core's own terms.

One narrow interface per aggregate (users, sessions, codes, ...), reached
through a unit of work: everything written inside one ``store.write()``
commits together or not at all. Look-ups are typed methods; no column name
or SQL crosses this boundary, and the core imports no backend.

Rules a backend must keep:
- ``write()`` is one transaction; leaving it by an exception (cancellation
  included) rolls back everything written in it.
- ``claim(*keys)`` serialises: until the transaction ends, no other
  transaction, in this process or another, gets past a claim of the same
  key. Claim every key a transaction needs in one call, before reading what
  they protect (a count, a throttle); that makes "read, decide, write"
  atomic across processes.
- A write refused by a uniqueness rule raises ``Taken(field)`` and ends the
  transaction: let it propagate (everything in it is rolled back) and, to
  try again, open a new one.
"""
from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Protocol

from facade.core.models import Session

IdentifierKind = Literal["username", "phone", "email"]


class Taken(Exception):
    """A uniqueness rule refused a write; ``field`` names what was taken
    (username, phone, email, public_id, ...)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


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


@dataclass(frozen=True)
class NewSession:
    user_id: int
    token_hash: str
    origin: str
    app_id: str | None
    device_key: str | None
    device_info: str | None
    created_at: float
    expires_at: float


@dataclass(frozen=True, kw_only=True)
class Sent:
    """A verification code as kept: only its salted hash, never the code."""
    target: str
    purpose: str
    salt: str
    code_hash: str
    created_at: float
    expires_at: float
    max_attempts: int
    disclosed: int = 0  # 1: the dialect showed the code to whoever asked, so it proves nothing


@dataclass(frozen=True, kw_only=True)
class Code(Sent):
    id: int
    used_at: float | None
    verified_at: float | None = None  # checked by a step that leaves spending it to a later one


@dataclass(frozen=True, kw_only=True)
class NewCode(Sent):
    origin: str      # the dialect that sent it, the only one it works through
    client: str | None  # the client address that asked for it, for the per-client cap
    lookup: str | None = None  # a hash of a shown code's value, for a step that names no target


@dataclass(frozen=True)
class App:
    app_id: str
    name: str
    secret_hash: str
    created_at: float


@dataclass(frozen=True)
class File:
    folder: str
    name: str
    media_type: str
    data: bytes
    flow_id: str | None  # the flow that uploaded it, until a user refers to it
    created_at: float
    client: str | None = None  # the client that sent it, for the upload budget


@dataclass(frozen=True)
class Strikes:
    """Failed attempts counted against one throttle key."""
    failures: int
    last_at: float
    blocked_until: float
    since: float = 0.0  # when this run of failures began


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


class Sessions(Protocol):
    async def open(self, new: NewSession) -> Session: ...

    async def live_by_token(self, token_hash: str, now: float) -> Session | None: ...

    async def live(self, session_id: int, now: float) -> Session | None: ...

    async def by_token(self, token_hash: str) -> tuple[Session, bool] | None:
        """The session with this token, live or not, and whether it was revoked."""

    async def revoke(self, session_id: int, now: float) -> bool:
        """True if this call revoked it (False: it already was)."""

    async def revoke_all(self, user_id: int, now: float) -> int: ...


class Codes(Protocol):
    async def add(self, new: NewCode) -> Code: ...

    async def latest(self, target: str, purpose: str, origin: str | None = None) -> Code | None:
        """The newest code for this target and purpose, sent through ``origin`` (None: through any)."""

    async def last_sent(self, target: str, client: str | None = None) -> float | None:
        """When the newest code to ``target`` (that ``client`` asked for, if given) was made, whatever its purpose."""

    async def count_for_target(self, target: str, since: float, client: str | None = None) -> int: ...

    async def count_for_client(self, client: str, since: float) -> int:
        """Codes ``client`` asked for after ``since`` that no right answer proved (a shown code proves nothing)."""

    async def count_attempt(self, code_id: int, limit: int) -> bool:
        """Atomically counts one try; False if the code is used or out of tries."""

    async def consume(self, code_id: int, now: float) -> bool:
        """True if this call used the code up (False: it already was)."""

    async def live_by_lookup(self, lookup: str, now: float) -> list[Code]:
        """Unused, unexpired codes whose lookup hash is ``lookup``."""

    async def verify(self, code_id: int, now: float, until: float) -> None:
        """Marks the code found right at ``now``, to be spent by ``until``."""

    async def verified(self, target: str, purpose: str, origin: str, now: float) -> Code | None:
        """The newest unused, unexpired code to ``target`` for ``purpose`` through ``origin``, if verified."""


class Flows(Protocol):
    async def get(self, flow_id: str, now: float) -> dict[str, Any] | None:
        """What a live flow holds; None for an unknown or expired one."""

    async def put(self, flow_id: str, values: dict[str, Any], expires_at: float) -> None:
        """Creates the flow (or replaces one with the same id)."""

    async def update(self, flow_id: str, values: dict[str, Any], now: float) -> bool:
        """Replaces a live flow's values, keeping its expiry; False if it is not live."""

    async def end(self, flow_id: str) -> None: ...


class Apps(Protocol):
    async def add(self, app: App) -> None:
        """Raises Taken('app_id') when the id is held."""

    async def get(self, app_id: str) -> App | None: ...

    async def all(self) -> list[App]: ...

    async def remove(self, app_id: str) -> bool: ...


class Settings(Protocol):
    async def keep(self, name: str, value: str) -> str:
        """Stores ``value`` unless ``name`` has one already; returns the value kept."""


class UserConfig(Protocol):
    async def get(self, user_id: int, key: str) -> str | None: ...

    async def count(self, user_id: int) -> int: ...

    async def put(self, user_id: int, key: str, value: str, now: float) -> None: ...


class Files(Protocol):
    async def add(self, file: File) -> None: ...

    async def get(self, folder: str, name: str) -> File | None: ...

    async def drop_unclaimed(self, flow_id: str) -> int:
        """Deletes the files ``flow_id`` uploaded that no user refers to."""

    async def charged_since(self, client: str, since: float) -> int:
        """What ``client``'s uploads after ``since`` were charged to its budget, in bytes."""

    async def charge(self, client: str, at: float, size: int) -> None:
        """Charges ``client``'s budget for an upload, whatever becomes of the file."""

    async def claimed(self, name: str) -> bool:
        """Whether a user refers to the file."""


class Throttles(Protocol):
    async def get(self, key: str) -> Strikes | None: ...

    async def put(self, key: str, strikes: Strikes, scope: str | None = None) -> None:
        """``scope``: the key this one counts a client for (None keeps the one it had)."""

    async def failing_clients(self, scope: str, since: float, enough: int) -> int:
        """How many keys of ``scope`` (up to ``enough``) counted a failure after ``since``: clients failing at it."""

    async def clear(self, key: str) -> None: ...

    async def trust(self, key: str, until: float) -> None:
        """Remembers a client that logged in to an account, until ``until``."""

    async def trusted(self, key: str, now: float) -> bool: ...


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
