"""The unified user core: no HTTP, no YAML, no dialect names.

Each operation reads what it needs, does its slow work (bcrypt, decoding an
image) outside any transaction, and then writes everything it changes in
one ``store.write()``; the caller's flow step, if any, joins that same
transaction (``Parts._finish``). Each flow lives in a module of its own;
``UserCore`` is all of them over one store.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any, Callable

import facade.core.images as images
from facade.core.apps import Apps
from facade.core.avatars import DECODERS, Avatars
from facade.core.codes import DEFAULT_POLICY, CodePolicy, Codes, Notifier
from facade.core.flows import FlowStep, Flows
from facade.core.login import Login
from facade.core.migration import Migration
from facade.core.operations import declared_outcomes
from facade.core.outcomes import OutOfOrder, Outcome
from facade.core.parts import STEP
from facade.core.passwords import PasswordHasher
from facade.core.ports import Store
from facade.core.profiles import Profiles
from facade.core.recovery import Recovery
from facade.core.registration import Registration
from facade.core.throttle import LoginThrottle
from facade.core.verification import Verification


# An outcome an operation did not declare is a bug in its declaration (the loader trusts them): logged
# always, and fatal where FACADE_STRICT_OUTCOMES=1 (the tests), so the suite proves the declarations.
STRICT_OUTCOMES = os.environ.get("FACADE_STRICT_OUTCOMES") == "1"
log = logging.getLogger("facade.core")
FLOW_OUTCOMES = {OutOfOrder.id}  # the caller's flow step joins every operation's transaction


def _declared(name: str, method: Any, outcome: Outcome) -> None:
    if outcome.id in declared_outcomes(method) or outcome.id in FLOW_OUTCOMES:
        return
    log.error("operation %s raised %s, which it does not declare", name, outcome.id)
    if STRICT_OUTCOMES:
        raise AssertionError(f"operation {name} raised undeclared outcome {outcome.id}") from outcome


class UserCore(Registration, Login, Recovery, Verification, Profiles, Avatars):
    def __init__(self, store: Store, hasher: PasswordHasher, *, session_ttl: int, session_ttl_max: int,
                 notifier: Notifier, code_policy: CodePolicy = DEFAULT_POLICY, throttle: LoginThrottle | None = None,
                 redraw: images.Redraw, clock: Callable[[], float] = time.time,
                 upload_budget: int = images.CLIENT_HOURLY_BYTES, image_pixels: int = images.MAX_PIXELS) -> None:
        self._store = store
        self._upload_budget = upload_budget
        self._image_pixels = image_pixels
        self._redraw = redraw
        self._hasher = hasher
        self._codes = Codes(store, notifier, code_policy, clock)
        self._throttle = throttle or LoginThrottle(store, clock)
        self._ttl = session_ttl
        self._ttl_max = session_ttl_max
        self._clock = clock
        self.apps = Apps(store, clock)
        self.flows = Flows(store, clock)
        self._decoding = asyncio.Semaphore(DECODERS)
        self._migration = Migration(store, hasher, clock)

    async def call(self, name: str, arguments: dict[str, Any], step: FlowStep | None = None) -> Any:
        """Runs operation ``name``; on success ``step`` changes the client's flow in the same transaction."""
        token = STEP.set(step)
        method = getattr(self, name)
        try:
            result = await method(**arguments)
        except Outcome as outcome:
            _declared(name, method, outcome)
            raise
        finally:
            STEP.reset(token)
        if step is not None and not step.applied:  # an operation with no transaction of its own to join
            async with self._store.write() as work:
                await self.flows.apply(work, step, result)
        return result
