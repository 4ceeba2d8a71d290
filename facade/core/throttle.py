"""Login throttling, counted in the store so every process shares it.

A stranger's guesses cost only the stranger. Each password login counts
against three keys:

- the *pair*: this client at this account. An address that fails at an account
  waits (``Limit``: waits doubling up to ``max_wait``); the owner at any other
  address does not.
- the *account*, across clients: it counts every failure, but makes anyone wait
  only when failures come from many clients at once (``Spread.clients`` distinct
  failing addresses within its window, and ``failures`` failures): a distributed
  attack. Even then a client the account trusts is not held back.
- the *client address*, across accounts (``Rate``): failed logins in a fixed
  window, so a crowd behind one carrier address, whose typos never stop long
  enough for a quiet window, starts afresh every window.

One account has one budget whichever identifier (phone, user name, e-mail, in
any spelling) was typed: its keys name the account, not the string. An
identifier nobody holds gets keys of its own, counted alike (the normalised
identifier stands for the account), so answers and timing never tell which
accounts exist. Keys are hashes of fixed length: no phone or address is kept.

The attempt is counted *before* the password is checked, in one transaction
holding its keys, so concurrent guesses cannot slip past a limit; a key blocked
now answers at once, spending no bcrypt. A success takes its advance count back
from the client address (successes never count against an address), clears the
pair, trusts the client with the account for ``TRUSTED_FOR``, and, from a client
not yet trusted, ends the account's run of failures (NIST's "consecutive").
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Callable

from facade.core.outcomes import LoginThrottled
from facade.core.ports import Store, Strikes, Work

TRUSTED_FOR = 30 * 86400
MAX_DOUBLINGS = 32  # 2**32 waits: far beyond any max_wait, and no float overflow however many failures


@dataclass(frozen=True)
class Limit:
    """After ``failures`` failures a key waits ``wait`` seconds, doubling with each further failure up to
    ``max_wait``: temporary, so nobody can lock anyone out for good. Failures count together until
    ``window`` seconds pass with neither a failure nor a wait in force, so a slow guesser never gets a
    fresh budget."""
    failures: int = 10
    window: float = 900
    wait: float = 30
    max_wait: float = 900

    def counted(self, held: Strikes | None, now: float, engaged: bool = True) -> Strikes:
        """``held`` with one more failure at ``now``; not ``engaged``: counted, but no wait follows."""
        fresh = held is None or self.lapsed(held, now)
        failures = 1 if fresh else held.failures + 1
        blocked_until = self._blocked_until(failures, now) if engaged else 0
        return Strikes(failures, now, blocked_until, now if fresh else held.since)

    def taken_back(self, held: Strikes) -> Strikes:
        """``held`` without one failure counted in advance for an attempt that succeeded."""
        failures = max(0, held.failures - 1)
        return Strikes(failures, held.last_at, held.blocked_until if failures >= self.failures else 0, held.since)

    def lapsed(self, held: Strikes, now: float) -> bool:
        return now - max(held.last_at, held.blocked_until) > self.window

    def _blocked_until(self, failures: int, now: float) -> float:
        if failures < self.failures:
            return 0
        return now + min(self.max_wait, self.wait * 2 ** min(failures - self.failures, MAX_DOUBLINGS))


@dataclass(frozen=True)
class Rate(Limit):
    """Failures per ``window`` seconds from the window's first: however steady the stream of honest
    typos behind one address, the count starts afresh each window (once any wait is over)."""

    def lapsed(self, held: Strikes, now: float) -> bool:
        return now - held.since > self.window and now >= held.blocked_until


@dataclass(frozen=True)
class Spread(Limit):
    """An account-wide limit that engages only once ``clients`` distinct addresses failed at the account
    within ``window``: many clients at once is an attack; one client is its pair's business."""
    clients: int = 3


PAIR_LIMIT = Limit()
ACCOUNT_LIMIT = Spread(failures=30, window=3600, wait=60, max_wait=900, clients=3)
CLIENT_LIMIT = Rate(failures=300, window=3600, wait=60, max_wait=3600)


@dataclass
class Attempt:
    """The keys one login attempt counts against and, once it succeeds, settles."""
    pair: str                   # this client at this account (or at the identifier nobody holds)
    account: str                # the account (or the identifier) across clients
    client: str | None          # this client across accounts
    trustable: bool = False     # a client address to trust with the account
    trusted: bool = False
    opened: str | None = None   # the pair of another account the password opened (the typed identifier named both)

    def counted_keys(self) -> list[str]:
        return [key for key in (self.pair, None if self.trusted else self.account, self.client) if key]

    def keys(self) -> list[str]:
        """Everything a successful login writes: the caller claims them in its transaction."""
        return [key for key in (self.pair, self.account, self.client, self.opened) if key]


def _key(kind: str, name: str) -> str:
    """Fixed length whatever was typed, and no phone number or address kept in the clear."""
    return f"{kind}:" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _pair(user_id: int, client: str | None) -> str:
    """The same key trusts a client (trusted_clients) and counts its failures at the account."""
    return _key("pair", f"{user_id}\0{client or ''}")


class LoginThrottle:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time, pair: Limit = PAIR_LIMIT,
                 account: Spread = ACCOUNT_LIMIT, client: Limit = CLIENT_LIMIT) -> None:
        self._store = store
        self._clock = clock
        self._limits = {"pair": pair, "account": account, "client": client}

    @staticmethod
    def attempt(typed: str, user_id: int | None, client: str | None) -> Attempt:
        """``typed``: the identifier as sent, normalised; ``user_id``: the account it names, if any."""
        if user_id is None:  # nobody holds it: the identifier stands for the account, keyed alike
            pair, account = _key("pair", f"{typed}\0{client or ''}"), _key("account", typed)
        else:
            pair, account = _pair(user_id, client), _key("account", f"user\0{user_id}")
        return Attempt(pair, account, _key("client", client) if client else None, trustable=client is not None)

    @staticmethod
    def opened_another(attempt: Attempt, user_id: int, client: str | None) -> Attempt:
        """The success to record when the typed identifier named several accounts (a phone, and someone's
        phone-shaped username) and the password opened not the first: it trusts and clears that account
        alone, and takes back from the first only this attempt's own count, or one account's holder
        could lift, at will, the count of guesses at the other's password."""
        return Attempt(attempt.pair, attempt.account, attempt.client, attempt.trustable, attempt.trusted,
                       opened=_pair(user_id, client))

    async def trusts(self, user_id: int, client: str | None) -> bool:
        """Whether ``client`` logged in to this account within TRUSTED_FOR."""
        async with self._store.read() as work:
            return client is not None and await work.throttles.trusted(_pair(user_id, client), self._clock())

    async def count(self, attempt: Attempt) -> None:
        """Counts the attempt as failed in advance; raises LoginThrottled, counting nothing, if blocked.
        A blocked key is seen by a read first: a flood of throttled attempts never queues for the lock
        that real logins write under."""
        now = self._clock()
        async with self._store.read() as work:
            trusted = await work.throttles.trusted(attempt.pair, now)  # asked for unknown identifiers too
            attempt.trusted = attempt.trustable and trusted
            _refuse_if_blocked({key: await work.throttles.get(key) for key in attempt.counted_keys()}, now)
        async with self._store.write() as work:
            keys = attempt.counted_keys()
            await work.claim(*keys)
            held = {key: await work.throttles.get(key) for key in keys}
            _refuse_if_blocked(held, now)
            await self._count_pair(work, attempt, held, now)
            if attempt.client:
                await work.throttles.put(attempt.client, self._limits["client"].counted(held[attempt.client], now))
            if not attempt.trusted:
                await self._count_account(work, attempt, held, now)

    async def _count_pair(self, work: Work, attempt: Attempt, held: dict[str, Strikes | None], now: float) -> None:
        """A trusted client's own failures (the owner's typos) are no sign of an attack on the account."""
        scope = None if attempt.trusted else attempt.account
        await work.throttles.put(attempt.pair, self._limits["pair"].counted(held[attempt.pair], now), scope)

    async def _count_account(self, work: Work, attempt: Attempt, held: dict[str, Strikes | None],
                             now: float) -> None:
        limit = self._limits["account"]
        clients = await work.throttles.failing_clients(attempt.account, now - limit.window, limit.clients)
        await work.throttles.put(attempt.account, limit.counted(held[attempt.account], now, clients >= limit.clients))

    async def succeeded(self, work: Work, attempt: Attempt) -> None:
        """Inside the login's transaction, which has claimed ``attempt.keys()``."""
        if attempt.opened is not None:
            await self._take_back(work, attempt.pair, "pair")
            if not attempt.trusted:
                await self._take_back(work, attempt.account, "account")
        elif not attempt.trusted:
            await work.throttles.clear(attempt.account)
        if attempt.client:
            await self._take_back(work, attempt.client, "client")
        settled = attempt.opened or attempt.pair
        await work.throttles.clear(settled)
        if attempt.trustable:
            await work.throttles.trust(settled, self._clock() + TRUSTED_FOR)

    async def _take_back(self, work: Work, key: str, kind: str) -> None:
        held = await work.throttles.get(key)
        if held is not None:
            await work.throttles.put(key, self._limits[kind].taken_back(held))


def _refuse_if_blocked(held: dict[str, Strikes | None], now: float) -> None:
    if any(strikes is not None and now < strikes.blocked_until for strikes in held.values()):
        raise LoginThrottled()
