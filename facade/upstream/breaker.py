"""A circuit breaker per upstream: after ``failures`` failed calls in a row the circuit opens and
calls fail at once, without waiting on a server that is slow or gone; after ``cool_down`` seconds one
call may try (half-open): its success closes the circuit, its failure opens it for another cool-down.

Each process keeps its own: a process learns a server is down from its own calls, which costs each
at most ``failures`` timeouts.
"""
from __future__ import annotations

import time
from typing import Callable

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class Breaker:
    def __init__(self, failures: int, cool_down: float, clock: Callable[[], float] = time.monotonic,
                 on_change: Callable[[str], None] | None = None) -> None:
        self._limit, self._cool_down, self._clock = failures, cool_down, clock
        self._on_change = on_change or (lambda state: None)
        self._failed = 0
        self._opened_at: float | None = None
        self._trying = False  # the one call a half-open circuit lets through is under way

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return CLOSED
        return HALF_OPEN if self._clock() - self._opened_at >= self._cool_down else OPEN

    def allow(self) -> bool:
        """Whether a call may go out now; a half-open circuit lets one through at a time."""
        state = self.state
        if state == CLOSED:
            return True
        if state == HALF_OPEN and not self._trying:
            self._trying = True
            return True
        return False

    def succeeded(self) -> None:
        was = self.state
        self._failed, self._opened_at, self._trying = 0, None, False
        if was != CLOSED:
            self._on_change(CLOSED)

    def abandoned(self) -> None:
        """An allowed call ended with neither verdict (cancelled): a half-open circuit may try again."""
        self._trying = False

    def failed(self) -> None:
        self._failed += 1
        if self._trying or (self._opened_at is None and self._failed >= self._limit):
            self._opened_at, self._trying = self._clock(), False
            self._on_change(OPEN)
