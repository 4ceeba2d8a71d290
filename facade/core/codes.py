"""Verification codes: made with ``secrets``, stored only as a salted hash,
bound to one target (phone or e-mail) and one purpose, short-lived, single
use, dead after a few wrong tries, and rate-limited per target.

A target's hourly cap is shared out: one client address gets at most
``target_share`` of a number's codes an hour, strangers together at most the
cap less ``owner_reserve``, and those last codes of the hour go only to a
client the target's holder trusts (one that logged in to the account), so
strangers can neither bomb a number nor spend its owner's codes. The
per-address cap counts only codes no right answer proved: a carrier address
whose many users each verify their code is never stopped, a sprayer is.

An attempt is counted with one atomic UPDATE *before* the code is compared
(as Ory Kratos does), so concurrent guesses cannot exceed the limit, and the
code is consumed with another, in the same transaction as what the code
allows (a registration, a new password), so of many concurrent right answers
exactly one succeeds, and a crash leaves either both or neither.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Literal, Protocol

from facade.core.outcomes import CodeAttemptsExceeded, CodeExpired, CodeInvalid, RateLimited
from facade.core.ports import NewCode, Store, Work

Purpose = Literal["register", "login", "reset_password"]
# What a dialect may ask a code for. 'register_or_reset' serves a wire whose one
# send-code call feeds both registration and password reset: the purpose
# follows the target, 'register' if nobody holds it, else 'reset_password'.
SendPurpose = Literal["register", "login", "reset_password", "register_or_reset"]
TEXTS = {  # what the person reads; the code is the only variable part
    "register": "您的注册验证码是{code}，{minutes}分钟内有效。",
    "login": "您的登录验证码是{code}，{minutes}分钟内有效。",
    "reset_password": "您正在重置密码，验证码是{code}，{minutes}分钟内有效。",
}


@dataclass(frozen=True)
class Message:
    channel: Literal["sms", "email"]
    to: str
    purpose: str
    code: str
    text: str


class Notifier(Protocol):
    async def deliver(self, message: Message) -> None:
        """Sends the message or raises DeliveryFailed."""


SHORT_CODE = 6           # codes shorter than this ...
SHORT_CODE_ATTEMPTS = 3  # ... get at most this many tries: 10**4 is a small space to guess in


@dataclass(frozen=True)
class CodePolicy:
    ttl: int = 300            # seconds a code lives (config caps it at 600)
    max_attempts: int = 5     # tries, right or wrong, before a code is dead
    resend_after: int = 60    # seconds before the same target and purpose may get a new code
    hourly_cap: int = 10      # codes a target may be sent in any hour, whoever asks
    client_hourly: int = 30   # unproven codes one client address may ask for in any hour, all targets together
    target_share: int = 3     # codes one client address may have sent to one target in any hour
    owner_reserve: int = 3    # the last codes of a target's hourly cap, kept for a client its holder trusts


DEFAULT_POLICY = CodePolicy()


@dataclass(frozen=True)
class Checked:
    """A code that was right, not yet spent; ``proves``: whether it shows who holds its target
    (a code the dialect showed to whoever asked for it proves nothing)."""
    id: int
    proves: bool
HOUR = 3600


VERIFIED_TTL = 1800  # seconds a verified code waits for the step that spends it (a registration form)


def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def _lookup(origin: str, purpose: str, code: str) -> str:
    """Finds a shown code by its value alone. Only codes the dialect showed to whoever asked get one:
    they prove nothing, so a guess that finds one gains nothing either."""
    return _digest(f"lookup:{origin}:{purpose}", code)


class Codes:
    def __init__(self, store: Store, notifier: Notifier, policy: CodePolicy, clock: Callable[[], float]) -> None:
        self._store = store
        self._notifier = notifier
        self._policy = policy
        self._clock = clock

    async def send(self, channel: Literal["sms", "email"], target: str, purpose: str, length: int,
                   origin: str = "", client: str | None = None, disclosed: bool = False,
                   then: Callable[[Work, str], Awaitable[Any]] | None = None, owner: bool = False) -> str:
        """Makes, stores and delivers a code; returns it (a mapping decides whether the wire sees it).
        The code works only through ``origin``, the dialect that sent it: one that shows its codes to
        whoever asks must not let them prove ownership anywhere else. The limits are checked and the
        code stored in one transaction holding the target and the client, so concurrent requests,
        in any process, cannot all pass the same check; ``then`` adds the caller's own writes (a flow
        step) to that transaction, before anything is delivered. ``owner``: the client is one the target's
        holder trusts, which may have the reserve."""
        now = self._clock()
        code = "".join(secrets.choice("0123456789") for _ in range(length))
        salt = secrets.token_hex(8)
        tries = self._policy.max_attempts if length >= SHORT_CODE else min(self._policy.max_attempts,
                                                                           SHORT_CODE_ATTEMPTS)
        async with self._store.write() as work:
            await work.claim(f"code-target:{target}", *([f"code-client:{client}"] if client else []))
            await self._check_rate(work, target, client, now, owner)
            stored = await work.codes.add(NewCode(
                target=target, purpose=purpose, salt=salt, code_hash=_digest(salt, code), created_at=now,
                expires_at=now + self._policy.ttl, max_attempts=tries, origin=origin, client=client,
                disclosed=int(disclosed), lookup=_lookup(origin, purpose, code) if disclosed else None))
            if then is not None:
                await then(work, code)
        text = TEXTS[purpose].format(code=code, minutes=self._policy.ttl // 60)
        try:
            await self._notifier.deliver(Message(channel, target, purpose, code, text))
        except BaseException:  # whatever went wrong, even a notifier's bug: an unsent code must not work
            await asyncio.shield(self._spend_alone(stored.id, now))
            raise
        return code

    async def _check_rate(self, work: Work, target: str, client: str | None, now: float, owner: bool) -> None:
        # one message at a time to a number, whatever its purpose; the owner waits only for its own
        last = await work.codes.last_sent(target, client if owner else None)
        if last is not None and now - last < self._policy.resend_after:
            raise RateLimited("resend too soon")
        cap = self._policy.hourly_cap if owner else self._policy.hourly_cap - self._policy.owner_reserve
        if await work.codes.count_for_target(target, now - HOUR) >= cap:
            raise RateLimited("hourly cap for this target")
        if client and await work.codes.count_for_target(target, now - HOUR, client) >= self._policy.target_share:
            raise RateLimited("this client's share of the target's codes")
        if client and await work.codes.count_for_client(client, now - HOUR) >= self._policy.client_hourly:
            raise RateLimited("hourly cap for this client")

    async def _spend_alone(self, code_id: int, now: float) -> None:
        async with self._store.write() as work:
            await work.codes.consume(code_id, now)

    async def check(self, target: str, purpose: str, code: str, origin: str = "") -> Checked:
        """Counts a try at the newest code ``origin`` sent for this target and purpose and compares it;
        returns it, for the caller to ``spend`` in the transaction that acts on it.
        The try is committed on its own, before comparing: a wrong guess counts whatever follows."""
        now = self._clock()
        async with self._store.read() as work:
            latest = await work.codes.latest(target, purpose, origin)
        if latest is None or latest.used_at is not None:
            raise CodeInvalid("no live code")
        if now >= latest.expires_at:
            raise CodeExpired()
        async with self._store.write() as work:
            counted = await work.codes.count_attempt(latest.id, latest.max_attempts)
        if not counted:
            raise CodeAttemptsExceeded()
        if not hmac.compare_digest(latest.code_hash, _digest(latest.salt, code)):
            raise CodeInvalid("wrong code")
        return Checked(latest.id, proves=not latest.disclosed)

    async def verify(self, target: str | None, purpose: str, code: str, origin: str = "") -> None:
        """Marks the code right without spending it, for a later step to spend with ``verified``.
        Without a target (a wire whose step names none), any shown code ``origin`` sent for
        ``purpose`` that has this value."""
        now = self._clock()
        if target is not None:
            checked = await self.check(target, purpose, code, origin)
            found = [checked.id]
        else:
            async with self._store.read() as work:
                # the lookup hash names origin and purpose too: only this dialect's codes for this
                found = [c.id for c in await work.codes.live_by_lookup(_lookup(origin, purpose, code), now)
                         if c.disclosed]
        if not found:
            raise CodeInvalid("no live shown code has this value")
        async with self._store.write() as work:
            for code_id in found:
                await work.codes.verify(code_id, now, now + VERIFIED_TTL)

    async def verified(self, target: str, purpose: str, origin: str = "") -> Checked:
        """The newest code for this target that a verify step found right and nothing has spent."""
        async with self._store.read() as work:
            code = await work.codes.verified(target, purpose, origin, self._clock())
        if code is None:
            raise CodeInvalid("no verified code for this target")
        return Checked(code.id, proves=not code.disclosed)

    async def spend(self, work: Work, checked: Checked) -> None:
        """Uses the code up inside ``work``: of concurrent right answers, exactly one gets past this. A right
        answer proves the code, which then no longer counts against the address that asked for it."""
        now = self._clock()
        await work.codes.verify(checked.id, now, now)
        if not await work.codes.consume(checked.id, now):
            raise CodeInvalid("already used")
