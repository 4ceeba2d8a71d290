"""One dialect's upstream at run time: its client (with the circuit breaker), how each route's answers
read, and its shadow comparison. Made for the app's life by ``relays`` (a cleanup context)."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from facade.dialect.declarations import Dialect, Route
from facade.keys import CLIENTS, DIALECTS, METRICS, REQUEST_ID, UPSTREAMS
from facade.metrics import Metrics
from facade.upstream.answers import Reading, reading
from facade.upstream.client import Call, UpstreamClient
from facade.upstream.config import Upstream
from facade.upstream.secrets import rules
from facade.upstream.shadow import Shadow


class Relay:
    def __init__(self, upstream: Upstream, dialect: Dialect, metrics: Metrics) -> None:
        self.upstream = upstream
        self.client = UpstreamClient(upstream, metrics)
        self.readings: dict[str, Reading] = {route.name: reading(dialect, route) for route in dialect.routes}
        secret = {route.name: rules(dialect, self.readings[route.name]) for route in dialect.routes}
        self.shadow = Shadow(self.client, upstream, self.readings, secret, metrics)

    async def start(self) -> None:
        await self.client.start()
        self.shadow.start()

    async def close(self) -> None:
        await self.shadow.close()
        await self.client.close()

    def reading(self, route: Route) -> Reading:
        return self.readings[route.name]


def call_of(request: web.Request, body: bytes) -> Call:
    return Call.of(request, body, request[REQUEST_ID], request.app[CLIENTS].chain(request))


def relays(upstreams: dict[str, Upstream]):
    """The app's cleanup context: each upstream's relay, started before the first request, closed last."""
    async def context(app: web.Application) -> AsyncIterator[None]:
        dialects = {dialect.name: dialect for dialect in app[DIALECTS]}
        app[UPSTREAMS] = {name: Relay(upstream, dialects[name], app[METRICS]) for name, upstream in upstreams.items()}
        try:
            for relay in app[UPSTREAMS].values():
                await relay.start()
            yield
        finally:
            for relay in app[UPSTREAMS].values():
                await relay.close()
    return context
