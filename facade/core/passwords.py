"""bcrypt password hashing, off the event loop, with a bound on concurrency.

Passwords are pre-hashed with SHA-256 (base64, 44 bytes) before bcrypt, so
long passwords are neither truncated at bcrypt's 72-byte limit nor refused.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets

import bcrypt

DEFAULT_ROUNDS = 12


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


class PasswordHasher:
    def __init__(self, rounds: int = DEFAULT_ROUNDS, max_concurrent: int = 2) -> None:
        self.rounds = rounds
        self._slots = asyncio.Semaphore(max_concurrent)
        self._decoy: str | None = None

    async def hash(self, password: str) -> str:
        salt = bcrypt.gensalt(self.rounds)
        async with self._slots:
            hashed = await asyncio.to_thread(bcrypt.hashpw, _prehash(password), salt)
        return hashed.decode("ascii")

    async def verify(self, password: str, hashed: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(bcrypt.checkpw, _prehash(password), hashed.encode("ascii"))

    async def prepare(self) -> None:
        """Makes the decoy hash now, so the first unknown-user login costs what every other does."""
        self._decoy = await self.hash(secrets.token_hex(16))

    async def waste_time(self, password: str) -> None:
        """Spend what a real check costs, so an unknown user is not told apart by timing."""
        if self._decoy is None:
            await self.prepare()
        await self.verify(password, self._decoy)
