"""Lazy migration: a user the legacy server still holds moves here at their first login.

When a login names nobody here, or an account an import brought without a usable password (marked
AWAITING), and the caller can reach the legacy server, that server is asked whether this very login is
right. On its yes the user is created (or the marked account completed) with the password hashed by
the facade's own scheme, the identifiers and ids its answer showed, and the login then goes on as for
any user: from then on the legacy server is never asked about that user again. On its no, the login
fails as it would have anyway.
"""
from __future__ import annotations

import logging
from typing import Callable

import facade.core.identifiers as identifiers
import facade.core.ids as ids
from facade.core.outcomes import InvalidInput
from facade.core.passwords import AWAITING, PasswordHasher
from facade.core.ports import Account, Identifier, LegacyAccount, LegacyLogin, NewAccount, Store, Taken, Work

log = logging.getLogger("facade.core")
KINDS = ("username", "phone", "email")
NUMBERED = ("id", "gid")  # rules whose ids derive from the core's id: new ones must stay clear of adopted ones


def awaiting(account: Account) -> bool:
    return account.password_hash.startswith(AWAITING)


def wanted(named: list[Account]) -> bool:
    """Whether the legacy server must be asked: nobody is named here, or an import left the password there."""
    return not named or any(awaiting(account) for account in named)


class Migration:
    def __init__(self, store: Store, hasher: PasswordHasher, clock: Callable[[], float]) -> None:
        self._store, self._hasher, self._clock = store, hasher, clock

    async def run(self, legacy: LegacyLogin, typed: str, named_as: list[Identifier], password: str,
                  named: list[Account]) -> bool:
        """Asks the legacy server; on its yes, creates or completes the user. Whether it said yes."""
        found = await legacy.confirm()
        if found is None:
            return False
        password_hash = await self._hasher.hash(password)
        marked = next((account for account in named if awaiting(account)), None)
        try:
            async with self._store.write() as work:
                if marked is not None:
                    await self._complete(work, marked, password_hash, found)
                else:
                    await self._create(work, typed, named_as, password_hash, found)
        except Taken as taken:  # a concurrent first login of the same user got here first: it is here now
            log.info("lazy migration: %s already taken; the user is here", taken.field)
        return True

    async def _complete(self, work: Work, marked: Account, password_hash: str, found: LegacyAccount) -> None:
        await work.claim(f"user:{marked.id}")
        current = await work.users.get(marked.id)
        if current is None or current.password_hash != marked.password_hash:
            return  # completed (or taken over) meanwhile
        await work.users.set_password(marked.id, password_hash, self._clock())
        await _adopt_ids(work, current, found)

    async def _create(self, work: Work, typed: str, named_as: list[Identifier], password_hash: str,
                      found: LegacyAccount) -> None:
        """The identifier the login was made with, as its shape says, and whichever identifiers the legacy
        answer showed that nobody here holds."""
        if not named_as:
            return
        login = named_as[0]
        given = {"username": identifiers.username(typed) if login.kind == "username" else found.username,
                 "phone": login.value if login.kind == "phone" else found.phone,
                 "email": login.value if login.kind == "email" else found.email}
        claimed = {kind: await _free(work, kind, value, login.kind == kind) for kind, value in given.items()}
        account = await work.users.add(NewAccount(
            public_id=ids.new_public_id(), username=claimed["username"],
            username_key=identifiers.username_key(claimed["username"]) if claimed["username"] else None,
            phone=claimed["phone"], email=claimed["email"], password_hash=password_hash, nickname=None, gender=None,
            birthday=None, avatar=None, extra=None, contact_email=None, created_at=self._clock()))
        await _adopt_ids(work, account, found)


async def _free(work: Work, kind: str, value: str | None, trusted: bool) -> str | None:
    """``value`` in its stored form if nobody here holds it, else None (the login's own is known free)."""
    if not value:
        return None
    try:
        normal = {"username": identifiers.username, "phone": identifiers.phone, "email": identifiers.email}[kind](value)
    except InvalidInput:  # the legacy server's value fits no rule here: the user goes without it
        return None
    key = identifiers.username_key(normal) if kind == "username" else normal
    if trusted or await work.users.find(Identifier(kind, key)) is None:
        return normal
    return None


async def _adopt_ids(work: Work, account: Account, found: LegacyAccount) -> None:
    """The ids the legacy server showed, unless another account here already shows one of them (then this
    user shows a derived id there, and the clash is logged); ids derived later stay clear of them."""
    for namespace, (rule, value) in found.ids.items():
        if namespace in account.legacy_ids or not value:
            continue
        holder = await ids.holder(work, namespace, rule, value)
        if holder is not None and holder.id != account.id:
            log.warning("lazy migration: %s %s is already shown by another account; not adopted", namespace, value)
            continue
        await work.users.add_legacy_id(account.id, namespace, value)
        if rule in NUMBERED and value.isdigit() and len(value) <= 18:
            await work.users.keep_ids_above(int(value) - (ids.GID_BASE if rule == "gid" else 0))
