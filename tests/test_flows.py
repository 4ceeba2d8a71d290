"""Flows in the core: server-side state for multi-step exchanges."""
from __future__ import annotations

from facade.core.flows import FLOW_TTL


async def test_a_flow_holds_what_the_server_kept_until_it_ends(core, rows):
    secret = await core.flows.start({"phone": "13800138000"})
    await core.flows.keep(secret, {"verified_phone": "13800138000"})
    assert await core.flows.values(secret) == {"phone": "13800138000", "verified_phone": "13800138000"}
    assert secret not in str(rows("SELECT * FROM flows"))
    await core.flows.end(secret)
    assert await core.flows.values(secret) == {} and rows("SELECT * FROM flows") == []


async def test_an_unknown_or_expired_flow_holds_nothing(core, clock, rows):
    secret = await core.flows.start({"phone": "13800138000"})
    assert await core.flows.values("f" * 32) == {} and await core.flows.values(None) == {}
    clock.now += FLOW_TTL
    assert await core.flows.values(secret) == {}
    other = await core.flows.start({})
    await core.flows.end(other)  # ending any flow also sweeps the expired ones
    assert rows("SELECT * FROM flows") == []
