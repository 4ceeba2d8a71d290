"""A route's request pipeline, compiled once at start-up into an ordered list of named stages.

The endpoint runs its own head (read and bound the body, check the app, pick the route); the route
picked runs the rest: the client's flow, what the core supplies (session, app, origin, client), the
parameters, the operation, the success answer. A failure anywhere leaves as an outcome for the error
middleware. A deployment plugs its own stages in per route (``Plug``: the upstream modes, from
config) at the places named by ``at``; the engine knows them only as names and callables.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from aiohttp import web

from facade.core.flows import FlowStep
from facade.dialect.declarations import PARAMS
from facade.dialect.success import fields_of, success
from facade.dialect.supplied import SUPPLIERS, flow_cookie_value
from facade.dialect.templates import render
from facade.keys import CORE

if TYPE_CHECKING:
    from facade.dialect.declarations import Dialect, FlowEffects, Route
    from facade.dialect.sources import BodyLimits, Inputs

BODY, RAW_BODY, APP_CHECK, PICK = "body", "raw body", "app", "route"  # the endpoint's, before the route is known
FLOW_READ, SUPPLIED, PARAMETERS, CALL, RENDER = "flow", "supplied", "parameters", "call", "render"

# Where a plugged stage goes: once the route is known (before what the core supplies), instead of
# the operation and its answer (it answers itself), or just before the operation is called.
ROUTED, ANSWER, CALLING = "routed", "answer", "calling"
EMPTY: dict[str, Any] = {}  # never written to: a stage that adds arguments makes a new dict


class Exchange:
    """One request on its way through the stages: what each leaves for the next."""
    __slots__ = ("request", "dialect", "bodies", "inputs", "raw", "route", "pipeline",
                 "arguments", "wire", "step", "result")

    def __init__(self, request: web.Request, dialect: "Dialect", bodies: "BodyLimits") -> None:
        self.request, self.dialect, self.bodies = request, dialect, bodies
        self.inputs: Inputs | None = None
        self.raw: bytes | None = None  # the body's bytes as sent, where a stage sends them on
        self.route: Route | None = None
        self.pipeline: Pipeline | None = None  # the route's stages, once it is picked
        self.arguments: dict[str, Any] = EMPTY  # what the core supplies the operation
        self.wire: dict[str, Any] = EMPTY  # the parameters the request holds
        self.step: FlowStep | None = None
        self.result: Any = None


Run = Callable[[Exchange], Awaitable[Any]]


@dataclass(frozen=True)
class Stage:
    name: str
    run: Run  # the last stage's returns the response; the others' return is not read
    at: str = ROUTED  # for a plugged stage: where it goes
    raw: bool = False  # it needs the body's bytes as sent


Plug = Callable[["Dialect", "Route"], tuple[Stage, ...]]


def nothing_plugged(dialect: "Dialect", route: "Route") -> tuple[Stage, ...]:
    return ()


class Pipeline:
    """One route's stages once it is picked, in order; the last one answers."""

    def __init__(self, route: "Route", stages: list[Stage]) -> None:
        self.route, self.stages = route, tuple(stages)
        self.steps = tuple(stage.run for stage in stages[:-1])
        self.last = stages[-1].run

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(stage.name for stage in self.stages)

    @property
    def answered_by_plug(self) -> bool:
        return self.stages[-1].at == ANSWER

    async def run(self, exchange: Exchange) -> web.StreamResponse:
        for step in self.steps:
            await step(exchange)
        return await self.last(exchange)


def order(own: Callable[[], list[Stage]], flow: list[Stage], plugged: tuple[Stage, ...]) -> list[Stage]:
    """``own``: the engine's stages from what the core supplies to the answer, made only when no plugged
    stage answers instead."""
    answers = [stage for stage in plugged if stage.at == ANSWER]
    if answers:
        return [*flow, *answers[:1]]
    *before, call, render = own()
    return [*flow, *_at(plugged, ROUTED), *before, *_at(plugged, CALLING), call, render]


def _at(plugged: tuple[Stage, ...], where: str) -> list[Stage]:
    return [stage for stage in plugged if stage.at == where]


# The engine's own stages, for one route.

def route_stages(dialect: "Dialect", route: "Route", plugged: tuple[Stage, ...]) -> Pipeline:
    flow = [Stage(FLOW_READ, _read_flow)] if route.uses_flow else []  # most routes of a flow dialect never touch it
    return Pipeline(route, order(lambda: _own(dialect, route), flow, plugged))


def _own(dialect: "Dialect", route: "Route") -> list[Stage]:
    # The session before the parameters: a caller who is not logged in learns nothing more.
    supplied = [_supplied(route)] if route.supplied else []
    return [*supplied, _parameters(route), _call(route), Stage(RENDER, success(dialect, route))]


async def _read_flow(exchange: Exchange) -> None:
    request, inputs = exchange.request, exchange.inputs
    held = await request.app[CORE].flows.values(flow_cookie_value(exchange.dialect, request))
    inputs.flow, inputs.flow_live = held or {}, held is not None


def _supplied(route: "Route") -> Stage:
    givers = tuple((name, SUPPLIERS[name]) for name in route.supplied)

    async def supply(exchange: Exchange) -> None:
        exchange.arguments = {name: await give(exchange) for name, give in givers}
    return Stage(SUPPLIED, supply)


def _parameters(route: "Route") -> Stage:
    async def parameters(exchange: Exchange) -> None:
        exchange.wire = route.arguments(exchange.inputs)
    return Stage(PARAMETERS, parameters)


def _call(route: "Route") -> Stage:
    operation, effects = route.operation, route.flow

    async def call(exchange: Exchange) -> None:
        if effects is not None:
            exchange.step = flow_step(exchange, effects)
        exchange.result = await exchange.request.app[CORE].call(
            operation, {**exchange.wire, **exchange.arguments}, exchange.step)
    return Stage(CALL, call)


def flow_step(exchange: Exchange, effects: "FlowEffects") -> FlowStep:
    """What success does to the client's flow, carried out by the core in the operation's transaction."""
    wire = exchange.wire
    keep = (lambda result: render(effects.keep, {**fields_of(result), PARAMS: wire}) or {}) if effects.keep else None
    return FlowStep(secret=flow_cookie_value(exchange.dialect, exchange.request), live=exchange.inputs.flow_live,
                    start=effects.start, keep=keep, end=effects.end)
