"""Password hashing and checking, off the event loop, with a bound on concurrency.

New passwords get the facade's own scheme (bcrypt over a SHA-256 pre-hash, so
long passwords are neither truncated at bcrypt's 72-byte limit nor refused).
Stored hashes name their scheme (facade/core/hashers/); an imported legacy
hash is checked by its own scheme, and the login that succeeds with it stores
the facade's own in its place.

Every check costs at least what the decoy costs (a check against the hash of
an unknown user), so neither an unknown account nor a legacy hash (an md5 is
checked in microseconds) can be told apart by timing.
"""
from __future__ import annotations

import asyncio
import functools
import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any, Callable, Protocol, TypeVar

import facade.core.hashers as hashers

T = TypeVar("T")

DEFAULT_ROUNDS = 12
# What an account's password becomes when someone who proved its phone or address takes it over:
# no password matches it (the prover sets one by a reset).
DISABLED = "disabled:"
AWAITING = hashers.AWAITING  # the legacy server still holds the password (lazy migration)
# Hashing threads run this much nicer than the event loop's: under a login storm the loop still gets
# the core first, so cheap requests stay quick, and idle cores still run hashes at full speed.
HASH_NICENESS = 10


class Meter(Protocol):
    """What the core reports as it works, for whoever counts it (the metrics); it must never fail."""

    def hash_queued(self, change: int) -> None:
        """A password hash or check started (+1) or stopped (-1) waiting for a hashing thread."""

    def hash_waited(self, seconds: float) -> None:
        """How long one waited before it ran."""


class Unmetered:
    """A Meter that counts nothing."""

    def hash_queued(self, change: int) -> None:
        pass

    def hash_waited(self, seconds: float) -> None:
        pass


def _nicer() -> None:
    with suppress(OSError, AttributeError):  # per-thread niceness is Linux's; elsewhere hashes run as they are
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)


class PasswordHasher:
    def __init__(self, rounds: int = DEFAULT_ROUNDS, max_concurrent: int = 2, meter: Meter | None = None) -> None:
        self.rounds = rounds
        self._slots = asyncio.Semaphore(max_concurrent)
        self._threads = ThreadPoolExecutor(max_concurrent, thread_name_prefix="facade-hash", initializer=_nicer)
        self._meter = meter or Unmetered()
        self._decoy: str | None = None
        self._decoy_seconds = 0.0
        self.checks = 0  # hash checks run, decoys included: what a throttled attempt never adds to

    async def hash(self, password: str) -> str:
        return await self._in_thread(hashers.own_hash, password, self.rounds)

    async def _in_thread(self, work: Callable[..., T], *args: Any) -> T:
        """Runs the work in a hashing thread once one is free, reporting the wait."""
        queued = time.monotonic()
        self._meter.hash_queued(1)
        try:
            await self._slots.acquire()
        finally:
            self._meter.hash_queued(-1)
        try:
            self._meter.hash_waited(time.monotonic() - queued)
            return await asyncio.get_running_loop().run_in_executor(self._threads, functools.partial(work, *args))
        finally:
            self._slots.release()

    async def verify(self, password: str, stored: str) -> bool:
        if stored.startswith((DISABLED, AWAITING)):
            await self.waste_time(password)  # a disabled password costs what a wrong one does
            return False
        self.checks += 1
        started = time.monotonic()
        matched = await self._in_thread(_verify, password, stored)
        await asyncio.sleep(max(0.0, self._decoy_seconds - (time.monotonic() - started)))
        return matched

    def needs_upgrade(self, stored: str) -> bool:
        """A legacy scheme, or the facade's own at a lower cost than configured."""
        return hashers.needs_upgrade(stored, self.rounds)

    async def prepare(self) -> None:
        """Makes the decoy hash now, and times a check against it: what every check must cost."""
        self._decoy = await self.hash(secrets.token_hex(16))
        started = time.monotonic()
        await self.verify(secrets.token_hex(16), self._decoy)
        self._decoy_seconds = time.monotonic() - started
        self.checks = 0

    async def waste_time(self, password: str) -> None:
        """Spend what a real check costs, so an unknown user is not told apart by timing."""
        if self._decoy is None:
            await self.prepare()
        await self.verify(password, self._decoy)


def _verify(password: str, stored: str) -> bool:
    try:
        return hashers.verify(password, stored)
    except (ValueError, TypeError):  # a stored value no scheme reads: nothing matches it
        return False
