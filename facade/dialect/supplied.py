"""What the engine supplies an operation besides the request's parameters, by argument name
(facade.core.operations): the caller's session, the dialect, the app, the client, its flow."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable

from aiohttp import web

from facade.core.models import Session
from facade.core.operations import APP, CLIENT, FLOW, LEGACY, ORIGIN, SESSION
from facade.core.outcomes import NotLoggedIn
from facade.keys import APP_ID, CLIENTS, CODECS, CORE

if TYPE_CHECKING:
    from facade.dialect.declarations import Dialect
    from facade.dialect.stages import Exchange


def flow_cookie_value(dialect: "Dialect", request: web.Request) -> str | None:
    return request.cookies.get(dialect.flow_cookie["name"])


async def _session(exchange: "Exchange") -> Session:
    dialect, request = exchange.dialect, exchange.request
    wire = dialect.session.find(exchange.inputs)
    if wire is None:
        raise NotLoggedIn()
    return await request.app[CODECS][dialect.name].session(wire, request.app[CORE], request.get(APP_ID))


async def _origin(exchange: "Exchange") -> str:
    return exchange.dialect.name


async def _app(exchange: "Exchange") -> str | None:
    return exchange.request.get(APP_ID)


async def _client(exchange: "Exchange") -> str | None:
    return exchange.request.app[CLIENTS].of(exchange.request)


async def _flow_secret(exchange: "Exchange") -> str | None:
    return flow_cookie_value(exchange.dialect, exchange.request) if exchange.inputs.flow_live else None


async def _no_legacy(exchange: "Exchange") -> None:
    """No legacy server checks logins here, unless a plugged stage (a lazy migration) names one."""
    return None


SUPPLIERS: dict[str, Callable[["Exchange"], Awaitable[Any]]] = {
    SESSION: _session, ORIGIN: _origin, APP: _app, CLIENT: _client, FLOW: _flow_secret, LEGACY: _no_legacy}
