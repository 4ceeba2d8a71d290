"""Login throttling, counted in the store so every process shares it.

Each password login counts against two keys: the identifier as typed, in its
normalised form (the same for accounts that exist and ones that do not, and
one identifier's failures say nothing about the account's others), and the
client address. The attempt is counted *before* the password is checked, in
one transaction holding both keys, so concurrent guesses cannot slip past
the limit. A key blocked now answers at once, spending no bcrypt.

A client that has logged in to an account before is trusted with it for
``TRUSTED_FOR``: its attempts count against a budget of its own for that
account instead of the identifier's, so strangers failing at an account never
lock its owner out from the address the owner uses. (From a new address the
owner waits like anyone else.)

A success trusts the client, takes back its own count (a shared address with
many honest users is not punished for their successes), and clears the
account's counts: all of them from a new client, only its own budget from a
trusted one (the owner logging in does not lift a block strangers earned).

After ``failures`` counted failures a key is blocked for ``wait`` seconds,
doubling with each further failure up to ``max_wait``: temporary, so nobody
can lock an account for good. Failures count together until ``window``
seconds pass with neither a failure nor a block in force.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Callable

from facade.core.outcomes import LoginThrottled
from facade.core.ports import Store, Strikes, Work

TRUSTED_FOR = 30 * 86400
MAX_DOUBLINGS = 32  # 2**32 waits: far beyond any max_wait, and no float overflow however many failures


@dataclass(frozen=True)
class Limit:
    failures: int = 10
    window: float = 900
    wait: float = 30
    max_wait: float = 900

    def counted(self, held: Strikes | None, now: float) -> Strikes:
        """``held`` with one more failure at ``now``."""
        failures = 1 if held is None or self.lapsed(held, now) else held.failures + 1
        return Strikes(failures, now, self._blocked_until(failures, now))

    def taken_back(self, held: Strikes) -> Strikes:
        """``held`` without one failure counted in advance for an attempt that succeeded."""
        failures = max(0, held.failures - 1)
        return Strikes(failures, held.last_at, held.blocked_until if failures >= self.failures else 0)

    def lapsed(self, held: Strikes, now: float) -> bool:
        return now - max(held.last_at, held.blocked_until) > self.window

    def _blocked_until(self, failures: int, now: float) -> float:
        if failures < self.failures:
            return 0
        return now + min(self.max_wait, self.wait * 2 ** min(failures - self.failures, MAX_DOUBLINGS))


ACCOUNT_LIMIT = Limit()
CLIENT_LIMIT = Limit(failures=100, window=3600, wait=60, max_wait=3600)


@dataclass
class Attempt:
    """The keys one login attempt counts against and, once it succeeds, clears."""
    identifier: str | None      # the identifier as typed, normalised
    client: str | None
    pair: str | None            # this client with this account: the budget of a trusted client
    account_keys: tuple[str, ...] = ()  # every identifier of the account found: a success clears them all
    trusted: bool = field(default=False)
    shared: str | None = None   # an identifier other accounts share: a success takes back its own count only

    def counted_keys(self) -> list[str]:
        return [key for key in (self.pair if self.trusted else self.identifier, self.client) if key]

    def keys(self) -> list[str]:
        """Everything a successful login writes: the caller claims them in its transaction."""
        return [key for key in (self.identifier, self.client, self.pair, self.shared, *self.account_keys) if key]


def _key(kind: str, name: str) -> str:
    """Fixed length whatever was typed, and no phone number or address kept in the clear."""
    return f"{kind}:" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:40]


class LoginThrottle:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time, account: Limit = ACCOUNT_LIMIT,
                 client: Limit = CLIENT_LIMIT) -> None:
        self._store = store
        self._clock = clock
        self._account = account
        self._client = client

    @staticmethod
    def attempt(typed: str, user_id: int | None, identifiers: list[str], client: str | None) -> Attempt:
        """``typed``: the identifier as sent, normalised; ``identifiers``: every one of the account found
        (none when nobody holds ``typed``), normalised the same way."""
        pair = _key("pair", f"{user_id}\0{client}") if user_id is not None and client else None
        return Attempt(_key("account", typed), _key("client", client) if client else None, pair,
                       tuple(_key("account", name) for name in identifiers))

    @classmethod
    def opened_another(cls, attempt: Attempt, user_id: int, identifiers: list[str], client: str | None) -> Attempt:
        """The success to record when the typed identifier named several accounts (a phone, and someone's
        phone-shaped username) and the password opened not the first: it trusts and clears that account
        alone, never the identifier they share, or one account's holder could lift, at will, the count
        of guesses at the other's password."""
        opened = cls.attempt("", user_id, identifiers, client)
        return Attempt(None, opened.client, opened.pair, opened.account_keys, shared=attempt.identifier)

    def _limit(self, attempt: Attempt, key: str) -> Limit:
        return self._client if key == attempt.client else self._account

    async def count(self, attempt: Attempt) -> None:
        """Counts the attempt as failed in advance; raises LoginThrottled, counting nothing, if blocked.
        A blocked key is seen by a read first: a flood of throttled attempts never queues for the lock
        that real logins write under."""
        now = self._clock()
        async with self._store.read() as work:
            attempt.trusted = attempt.pair is not None and await work.throttles.trusted(attempt.pair, now)
            _refuse_if_blocked({key: await work.throttles.get(key) for key in attempt.counted_keys()}, now)
        async with self._store.write() as work:
            keys = attempt.counted_keys()
            await work.claim(*keys)
            held = {key: await work.throttles.get(key) for key in keys}
            _refuse_if_blocked(held, now)
            for key in keys:
                await work.throttles.put(key, self._limit(attempt, key).counted(held[key], now))

    async def succeeded(self, work: Work, attempt: Attempt) -> None:
        """Inside the login's transaction, which has claimed ``attempt.keys()``: the client is trusted with
        the account and gets its advance count back. An untrusted client's success also starts the account
        afresh; a trusted one's clears only its own budget, leaving strangers' failures where they were."""
        shared = () if attempt.trusted else (attempt.identifier, *attempt.account_keys)
        for key in {*shared, attempt.pair} - {None}:
            await work.throttles.clear(key)
        if attempt.pair:
            await work.throttles.trust(attempt.pair, self._clock() + TRUSTED_FOR)
        for key, limit in ((attempt.client, self._client), (attempt.shared, self._account)):
            held = await work.throttles.get(key) if key else None
            if held is not None:
                await work.throttles.put(key, limit.taken_back(held))


def _refuse_if_blocked(held: dict[str, Strikes | None], now: float) -> None:
    if any(strikes is not None and now < strikes.blocked_until for strikes in held.values()):
        raise LoginThrottled()
