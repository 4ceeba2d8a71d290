"""The circuit breaker on its own, with a clock the test moves."""
from __future__ import annotations

from facade.upstream.breaker import CLOSED, HALF_OPEN, OPEN, Breaker
from tests.conftest import Clock


def test_it_opens_after_failures_in_a_row_lets_one_call_try_after_the_cool_down_and_closes_on_its_success():
    clock, changes = Clock(), []
    breaker = Breaker(failures=3, cool_down=10, clock=clock, on_change=changes.append)
    breaker.failed(), breaker.failed(), breaker.succeeded()  # a success in between: not in a row
    breaker.failed(), breaker.failed()
    assert (breaker.state, breaker.allow()) == (CLOSED, True)
    breaker.failed()
    assert (breaker.state, breaker.allow(), changes) == (OPEN, False, [OPEN])
    clock.now += 10
    assert (breaker.state, breaker.allow(), breaker.allow()) == (HALF_OPEN, True, False)  # one call at a time
    breaker.failed()  # the trial failed: open for another cool-down
    assert (breaker.state, breaker.allow()) == (OPEN, False)
    clock.now += 10
    assert breaker.allow() is True
    breaker.abandoned()  # the trial was cancelled: another may try
    assert breaker.allow() is True
    breaker.succeeded()
    assert (breaker.state, breaker.allow(), changes) == (CLOSED, True, [OPEN, OPEN, CLOSED])
