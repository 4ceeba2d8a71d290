"""What every flow of the user core shares: its store, clock and collaborators (set by
``UserCore``), the account as an operation returns it, and the caller's flow step, which joins
the transaction an operation ends with (``_finish``)."""
from __future__ import annotations

import asyncio
import contextvars
from typing import Any, Callable

from facade.core.apps import Apps
from facade.core.codes import Codes
from facade.core.flows import FlowStep, Flows
from facade.core.ids import GID_BASE
from facade.core.images import Redraw
from facade.core.migration import Migration
from facade.core.models import User
from facade.core.outcomes import (CodeAttemptsExceeded, CodeExpired, CodeInvalid, InvalidEmail, InvalidParameter,
                                  InvalidPhone, InvalidUsername, MissingParameter)
from facade.core.passwords import PasswordHasher
from facade.core.ports import Account, Store, Work
from facade.core.throttle import LoginThrottle

# What an identifier's or a parameter's shape may fail with, and a code's check.
SHAPES = (MissingParameter, InvalidParameter, InvalidPhone, InvalidEmail, InvalidUsername)
CODE_FAILURES = (CodeInvalid, CodeExpired, CodeAttemptsExceeded)
STEP: contextvars.ContextVar[FlowStep | None] = contextvars.ContextVar("flow_step", default=None)


def user_of(account: Account) -> User:
    derived = {"gid": GID_BASE + account.id, "passport": account.phone or account.email,
               "phone_verified": account.phone_verified_at is not None,
               "email_verified": account.email_verified_at is not None}
    return User(**derived, **{k: getattr(account, k) for k in User.__dataclass_fields__ if k not in derived})


class Parts:
    """The state the flows' mixins read; ``UserCore.__init__`` sets it."""
    _store: Store
    _hasher: PasswordHasher
    _codes: Codes
    _throttle: LoginThrottle
    _clock: Callable[[], float]
    _ttl: int
    _ttl_max: int
    _upload_budget: int
    _image_pixels: int
    _redraw: Redraw
    _decoding: asyncio.Semaphore
    _migration: Migration
    apps: Apps
    flows: Flows

    async def _finish(self, work: Work, result: Any) -> Any:
        """The last thing an operation does in its transaction: the caller's flow step joins it."""
        step = STEP.get()
        if step is not None:
            await self.flows.apply(work, step, result)
        return result
