"""Login with an identifier and a password: throttled, and for a user still on the legacy server,
migrated by that server's yes (facade/core/migration.py)."""
from __future__ import annotations

import json
from typing import Any

import facade.core.identifiers as identifiers
import facade.core.migration as migration
from facade.core.models import LoggedIn
from facade.core.operations import operation
from facade.core.outcomes import (InvalidInput, InvalidParameter, LoginThrottled, NoSuchUser, UpstreamUnavailable,
                                  WrongPassword)
from facade.core.parts import SHAPES
from facade.core.ports import Account, Identifier, LegacyLogin, Work
from facade.core.sessions import Sessions

DEVICE_MAX = 4096  # characters of a device key or its description kept with a session


class Login(Sessions):
    @operation(*SHAPES, NoSuchUser, WrongPassword, LoginThrottled, UpstreamUnavailable)
    async def login(self, *, identifier: str, password: str, ttl: int | None = None,
                    origin: str = "", app: str | None = None, client: str | None = None,
                    device_key: str | None = None, device_info: dict[str, Any] | None = None,
                    legacy: LegacyLogin | None = None) -> LoggedIn:
        """``device_key`` and ``device_info`` are kept with the session, for clients that name their
        device. Throttled per account and ``client`` before any password is checked. ``legacy``: the
        server that still holds users not yet here (facade/core/migration.py)."""
        lifetime = self._lifetime(ttl)
        info = None if device_info is None else json.dumps(device_info)  # escaped: a lone surrogate can be stored
        device = {"device_key": _bounded(device_key, "device key"), "device_info": _bounded(info, "device info")}
        wanted = _classified(identifier)
        named = await self._named(wanted)
        typed = f"{wanted[0].kind}:{wanted[0].value}" if wanted else identifier.strip().casefold()
        first = named[0] if named else None
        attempt = self._throttle.attempt(typed, first and first.id, client)
        await self._throttle.count(attempt)
        if legacy is not None and migration.wanted(named) and await self._migration.run(
                legacy, identifier, wanted, password, named):
            named = await self._named(wanted)
        if not named:
            await self._hasher.waste_time(password)
            raise NoSuchUser()
        account = await self._first_opened_by(password, named)
        if account is None:
            raise WrongPassword()
        if first is None or account.id != first.id:  # migrated just now, or another account the name names
            attempt = self._throttle.opened_another(attempt, account.id, client)
        upgraded = await self._hasher.hash(password) if self._hasher.needs_upgrade(account.password_hash) else None
        async with self._store.write() as work:
            await work.claim(f"user:{account.id}", *attempt.keys())
            if await self._password_changed(work, account):  # a reset committed while bcrypt ran
                raise WrongPassword("the password changed meanwhile")
            await self._throttle.succeeded(work, attempt)
            if upgraded is not None:  # a legacy (or cheaper) hash: ours from now on
                await work.users.set_password(account.id, upgraded, self._clock())
            return await self._finish(work, await self._open_session(work, account, lifetime, origin, app, device))

    @staticmethod
    async def _password_changed(work: Work, account: Account) -> bool:
        current = await work.users.get(account.id)
        return current is None or current.password_hash != account.password_hash

    async def _named(self, wanted: list[Identifier]) -> list[Account]:
        """Every account ``wanted`` names, in their order: a phone-shaped username may name one account
        as a phone and another as a username."""
        named: list[Account] = []
        async with self._store.read() as work:
            for identifier in wanted:
                account = await work.users.find(identifier)
                if account is not None and all(account.id != seen.id for seen in named):
                    named.append(account)
        return named

    async def _first_opened_by(self, password: str, named: list[Account]) -> Account | None:
        """The first of ``named`` whose password this is (the legacy servers matched identifier and
        password together, so the phone's owner wins, then the name's)."""
        for account in named:
            if await self._hasher.verify(password, account.password_hash):
                return account
        return None


def _classified(identifier: str) -> list[Identifier]:
    try:
        return identifiers.classify(identifier)
    except InvalidInput:  # a malformed identifier names nobody
        return []


def _bounded(value: str | None, what: str) -> str | None:
    if value is not None and len(value) > DEVICE_MAX:
        raise InvalidParameter(f"{what} longer than {DEVICE_MAX} characters")
    return value
