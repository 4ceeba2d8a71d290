"""Verification codes: made with ``secrets``, stored only as a salted hash,
bound to one target (phone or e-mail) and one purpose, short-lived, single
use, dead after a few wrong tries, and rate-limited per target.

An attempt is counted with one atomic UPDATE *before* the code is compared
(as Ory Kratos does), so concurrent guesses cannot exceed the limit, and the
code is consumed with another, so of many concurrent right answers exactly
one succeeds.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Callable, Literal, Protocol

from facade.core.outcomes import CodeAttemptsExceeded, CodeExpired, CodeInvalid, RateLimited
from facade.store import Store

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
    hourly_cap: int = 10      # codes a target may be sent in any hour


DEFAULT_POLICY = CodePolicy()


def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


class Codes:
    def __init__(self, store: Store, notifier: Notifier, policy: CodePolicy, clock: Callable[[], float]) -> None:
        self._store = store
        self._notifier = notifier
        self._policy = policy
        self._clock = clock

    async def send(self, channel: Literal["sms", "email"], target: str, purpose: str, length: int,
                   origin: str = "") -> str:
        """Makes, stores and delivers a code; returns it (a mapping decides whether the wire sees it).
        The code works only through ``origin``, the dialect that sent it: one that shows its codes to
        whoever asks must not let them prove ownership anywhere else."""
        now = self._clock()
        await self._check_rate(target, purpose, now)
        code = "".join(secrets.choice("0123456789") for _ in range(length))
        salt = secrets.token_hex(8)
        tries = self._policy.max_attempts if length >= SHORT_CODE else min(self._policy.max_attempts,
                                                                           SHORT_CODE_ATTEMPTS)
        row = await self._store.insert_code({
            "target": target, "purpose": purpose, "salt": salt, "code_hash": _digest(salt, code),
            "created_at": now, "expires_at": now + self._policy.ttl, "max_attempts": tries, "origin": origin})
        text = TEXTS[purpose].format(code=code, minutes=self._policy.ttl // 60)
        try:
            await self._notifier.deliver(Message(channel, target, purpose, code, text))
        except BaseException:  # whatever went wrong, even a notifier's bug: an unsent code must not work
            await asyncio.shield(self._store.consume_code(row["id"], now))
            raise
        return code

    async def _check_rate(self, target: str, purpose: str, now: float) -> None:
        latest = await self._store.latest_code(target, purpose)
        if latest is not None and now - latest["created_at"] < self._policy.resend_after:
            raise RateLimited("resend too soon")
        if await self._store.count_codes_since(target, now - 3600) >= self._policy.hourly_cap:
            raise RateLimited("hourly cap")

    async def check(self, target: str, purpose: str, code: str, origin: str = "") -> None:
        """Spends the newest code ``origin`` sent for this target and purpose, or raises a code_* outcome."""
        now = self._clock()
        latest = await self._store.latest_code(target, purpose, origin)
        if latest is None or latest["used_at"] is not None:
            raise CodeInvalid("no live code")
        if now >= latest["expires_at"]:
            raise CodeExpired()
        if not await self._store.count_code_attempt(latest["id"], latest["max_attempts"] or self._policy.max_attempts):
            raise CodeAttemptsExceeded()
        if not hmac.compare_digest(latest["code_hash"], _digest(latest["salt"], code)):
            raise CodeInvalid("wrong code")
        if not await self._store.consume_code(latest["id"], now):
            raise CodeInvalid("already used")
