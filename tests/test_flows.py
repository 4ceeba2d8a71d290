"""Flows in the core: server-side state for multi-step exchanges, changed
only in the transaction of the step that changes it."""
from __future__ import annotations

import pytest

from facade.core.flows import FLOW_TTL, FlowStep
from facade.core.outcomes import CodeInvalid

pytestmark = pytest.mark.every_backend


async def step(core, step: FlowStep, result=None) -> FlowStep:
    async with core._store.write() as work:
        await core.flows.apply(work, step, result)
    return step


async def test_a_flow_holds_what_the_server_kept_until_it_ends(core, rows):
    started = await step(core, FlowStep(None, live=False, start=True, keep=lambda _: {"phone": "13800138000"}))
    secret = started.started
    await step(core, FlowStep(secret, live=True, keep=lambda _: {"verified_phone": "13800138000"}))
    assert await core.flows.values(secret) == {"phone": "13800138000", "verified_phone": "13800138000"}
    assert secret not in str(rows("SELECT * FROM flows"))
    await step(core, FlowStep(secret, live=True, end=True))
    assert await core.flows.values(secret) is None and rows("SELECT * FROM flows") == []


async def test_a_flow_that_ended_meanwhile_stays_ended(core, rows):
    secret = (await step(core, FlowStep(None, live=False, start=True))).started
    await step(core, FlowStep(secret, live=True, end=True))
    kept = await step(core, FlowStep(secret, live=True, keep=lambda _: {"head_image": "x.png"}))
    assert kept.started is None and rows("SELECT * FROM flows") == []


async def test_a_step_without_a_live_flow_starts_one(core):
    kept = await step(core, FlowStep("f" * 32, live=False, keep=lambda _: {"phone": "13800138000"}))
    assert kept.started is not None and await core.flows.values(kept.started) == {"phone": "13800138000"}


async def test_an_unknown_or_expired_flow_holds_nothing(core, clock):
    secret = (await step(core, FlowStep(None, live=False, start=True, keep=lambda _: {"a": 1}))).started
    assert await core.flows.values("f" * 32) is None and await core.flows.values(None) is None
    clock.now += FLOW_TTL
    assert await core.flows.values(secret) is None


async def test_a_failed_operation_leaves_its_flow_untouched(core, rows):
    secret = (await step(core, FlowStep(None, live=False, start=True, keep=lambda _: {"a": 1}))).started
    before = rows.snapshot()
    with pytest.raises(CodeInvalid):
        await core.call("verify_code", {"target": "13800138000", "purpose": "register", "code": "123456"},
                        FlowStep(secret, live=True, end=True))
    assert rows.snapshot() == before and await core.flows.values(secret) == {"a": 1}
