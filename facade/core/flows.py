"""Flows: server-side state linking the steps of a multi-step exchange whose
later requests do not repeat what the first one said (a registration whose
code check and completion never repeat the phone number).

A flow is named by a random secret the client carries (a cookie); only its
SHA-256 is stored. What a flow holds was written by the server from its own
results, never copied from what a client claims. A step's change to its
flow commits in the same transaction as the step's operation: a verified
code and the flow that remembers it, never one without the other.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Callable

from facade.core.ports import Store, Work

FLOW_TTL = 1800  # seconds a flow lives from its first step: a registration, not a session


def flow_id(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass
class FlowStep:
    """What one request does to its client's flow when its operation succeeds.

    ``secret`` names the flow the client carried, ``live`` says whether that flow was
    live when the request began; ``keep`` makes the values to add from the operation's
    result. The core sets ``started`` to a new flow's secret, and ``applied`` once done."""
    secret: str | None
    live: bool
    start: bool = False
    keep: Callable[[Any], dict[str, Any]] | None = None
    end: bool = False
    started: str | None = None
    applied: bool = False


class Flows:
    def __init__(self, store: Store, clock: Callable[[], float], ttl: int = FLOW_TTL) -> None:
        self._store = store
        self._clock = clock
        self.ttl = ttl

    async def values(self, secret: str | None) -> dict[str, Any] | None:
        """What the live flow holds; None for no flow, an unknown one or an expired one."""
        if not secret:
            return None
        async with self._store.read() as work:
            return await work.flows.get(flow_id(secret), self._clock())

    async def apply(self, work: Work, step: FlowStep, result: Any) -> None:
        """Carries out ``step`` inside ``work``, the transaction of the operation that made ``result``."""
        step.applied = True
        if step.end:
            if step.secret:
                await work.flows.end(flow_id(step.secret))
            return
        values = {k: v for k, v in (step.keep(result) if step.keep else {}).items() if v is not None}
        if not (values or step.start or step.live):  # nothing to keep and no flow: none is started
            return
        if step.start or not step.live:  # a new flow: none was live, or this step begins one
            if step.secret:
                await work.flows.end(flow_id(step.secret))
            step.started = secrets.token_hex(16)
            await work.flows.put(flow_id(step.started), values, self._clock() + self.ttl)
            return
        await self._keep(work, flow_id(step.secret), values)

    async def _keep(self, work: Work, flow: str, values: dict[str, Any]) -> None:
        """Adds ``values`` to the flow, keeping its expiry; one that ended meanwhile stays ended."""
        await work.claim(f"flow:{flow}")
        now = self._clock()
        held = await work.flows.get(flow, now)
        if held is not None:
            await work.flows.update(flow, {**held, **values}, now)
