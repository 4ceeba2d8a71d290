"""Codes sent to a phone or an e-mail address, and codes checked for a later step to spend."""
from __future__ import annotations

import asyncio

import facade.core.identifiers as identifiers
from facade.core.codes import Purpose, SendPurpose
from facade.core.flows import flow_id
from facade.core.models import CodeSent
from facade.core.operations import operation
from facade.core.outcomes import TAKEN, DeliveryFailed, InvalidParameter, NoSuchUser, RateLimited
from facade.core.parts import CODE_FAILURES, SHAPES, STEP, Parts


class Verification(Parts):
    @operation(*SHAPES, *TAKEN.values(), NoSuchUser, RateLimited, DeliveryFailed, writes=True)
    async def send_code(self, *, target: str, purpose: SendPurpose, length: int = 6, origin: str = "",
                        client: str | None = None, disclosed: bool = False) -> CodeSent:
        """A code to a phone (SMS) or e-mail address. For 'register' the target must
        be free; for any other purpose it must belong to someone. ``disclosed``: the dialect
        shows the code to whoever asked, so using it proves nothing about who holds the target."""
        if not 4 <= length <= 8:
            raise InvalidParameter("code length outside 4..8")
        channel, identifier = identifiers.contact(target)
        async with self._store.read() as work:
            holder = await work.users.find(identifier)
        if purpose == "register_or_reset":
            purpose = "register" if holder is None else "reset_password"
        if purpose == "register" and holder is not None:
            raise TAKEN[identifier.kind](identifier.kind)
        if purpose != "register" and holder is None:
            raise NoSuchUser()
        owner = holder is not None and await self._throttle.trusts(holder.id, client)
        def sent(code: str) -> CodeSent:
            return CodeSent(target=identifier.value, channel=channel, purpose=purpose, code=code)
        try:
            code = await self._codes.send(channel, identifier.value, purpose, length, origin, client, disclosed,
                                          then=lambda work, code: self._finish(work, sent(code)), owner=owner)
        except BaseException:  # not delivered: a flow the step started for it goes too
            await asyncio.shield(self._end_started_flow())
            raise
        return sent(code)

    async def _end_started_flow(self) -> None:
        step = STEP.get()
        if step is not None and step.started is not None:
            async with self._store.write() as work:
                await work.flows.end(flow_id(step.started))

    @operation(*SHAPES, *CODE_FAILURES, writes=True)
    async def verify_code(self, *, purpose: Purpose, code: str, target: str | None = None, origin: str = "") -> None:
        """Marks the code right, for a later step to spend (``register(verified_code=True)``); raises
        code_invalid, code_expired or code_attempts_exceeded. Without ``target``: a code this dialect
        showed to whoever asked, found by its value (such a code proves nothing, so a guess gains nothing)."""
        wanted = identifiers.contact(target)[1].value if target is not None else None
        await self._codes.verify(wanted, purpose, code, origin)
        async with self._store.write() as work:
            return await self._finish(work, None)
