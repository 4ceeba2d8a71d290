"""Each route's upstream mode as stages plugged into its pipeline (facade/dialect/stages.py):
``proxy`` answers with the legacy server's bytes instead of calling the operation; ``shadow`` keeps
the request as sent and, once the facade's answer is rendered (success or failure), offers both for
comparison; a lazy migration hands a login the legacy server, as the core's LegacyLogin port."""
from __future__ import annotations

from functools import partial

from aiohttp import web

from facade.core.operations import LEGACY
from facade.dialect.declarations import Dialect, Route
from facade.dialect.stages import ANSWER, CALLING, ROUTED, Exchange, Plug, Stage
from facade.keys import ANSWERED, METRICS, UPSTREAMS
from facade.upstream.client import PROXY as PROXIED
from facade.upstream.client import respond as respond_as
from facade.upstream.config import LOGIN, PROXY, Upstream
from facade.upstream.migrate import ByLegacyServer
from facade.upstream.relay import call_of
from facade.upstream.shadow import offer

PROXY_STAGE, SHADOW_STAGE, MIGRATION_STAGE = "proxy", "shadow", "legacy login"


def plug(upstreams: dict[str, Upstream]) -> Plug:
    """The stages each route gets from its dialect's upstream, as the config names them."""
    def stages(dialect: Dialect, route: Route) -> tuple[Stage, ...]:
        upstream = upstreams.get(dialect.name)
        return () if upstream is None else _stages(upstream, dialect.name, route)
    return stages


def _stages(upstream: Upstream, name: str, route: Route) -> tuple[Stage, ...]:
    if upstream.mode_of(route) == PROXY:
        return (Stage(PROXY_STAGE, partial(_proxy, name), at=ANSWER, raw=True),)
    found = []
    if upstream.mirrors(route):
        found.append(Stage(SHADOW_STAGE, partial(_shadow, name), at=ROUTED, raw=True))
    if upstream.lazy_migration and route.operation == LOGIN and LEGACY in route.supplied:
        found.append(Stage(MIGRATION_STAGE, partial(_migration, name), at=CALLING, raw=True))
    return tuple(found)


async def _proxy(name: str, exchange: Exchange) -> web.Response:
    """The legacy server's answer, byte for byte."""
    request = exchange.request
    relay = request.app[UPSTREAMS][name]
    return respond_as(await relay.client.send(call_of(request, exchange.raw or b""), PROXIED))


async def _shadow(name: str, exchange: Exchange) -> None:
    request = exchange.request
    request[ANSWERED] = partial(offer, request, name, call_of(request, exchange.raw or b""))


async def _migration(name: str, exchange: Exchange) -> None:
    """The legacy server, for a login the core cannot check yet: sent this very request."""
    request, route = exchange.request, exchange.route
    relay = request.app[UPSTREAMS][name]
    legacy = ByLegacyServer(relay.client, call_of(request, exchange.raw or b""), exchange.dialect, route,
                            relay.reading(route), request.app[METRICS])
    exchange.arguments = {**exchange.arguments, LEGACY: legacy}
