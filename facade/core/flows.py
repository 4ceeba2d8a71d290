"""Flows: server-side state linking the steps of a multi-step exchange whose
later requests do not repeat what the first one said (a registration whose
code check and completion never repeat the phone number).

A flow is named by a random secret the client carries (a cookie); only its
SHA-256 is stored. What a flow holds was written by the server from its own
results, never copied from what a client claims.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any, Callable

from facade.store import Store

FLOW_TTL = 1800  # seconds a flow lives from its first step: a registration, not a session


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Flows:
    def __init__(self, store: Store, clock: Callable[[], float], ttl: int = FLOW_TTL) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl

    async def values(self, secret: str | None) -> dict[str, Any]:
        """What the live flow holds; {} for no flow, an unknown one or an expired one."""
        if not secret:
            return {}
        row = await self._store.find_flow(_hash(secret), self._clock())
        return json.loads(row["data"]) if row else {}

    async def start(self, values: dict[str, Any]) -> str:
        """A new flow holding ``values``; returns its secret."""
        secret = secrets.token_hex(16)
        await self._store.put_flow(_hash(secret), json.dumps(values), self._clock() + self._ttl)
        return secret

    async def keep(self, secret: str, values: dict[str, Any]) -> None:
        """Adds ``values`` to a live flow; one that ended meanwhile stays ended."""
        held = await self.values(secret)
        if held:
            await self._store.put_flow(_hash(secret), json.dumps({**held, **values}), self._clock() + self._ttl)

    async def end(self, secret: str | None) -> None:
        if secret:
            await self._store.delete_flow(_hash(secret), self._clock())
