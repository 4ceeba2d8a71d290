"""One aiohttp handler per method and path: picks the route whose 'when'
holds, gathers the operation's arguments, calls the core once, and renders
the success envelope. Failures leave as outcomes for the error middleware."""
from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any, Awaitable, Callable

from aiohttp import web

from facade.core.flows import FLOW_TTL, FlowStep
from facade.core.models import Session
from facade.core.operations import APP, CLIENT, FLOW, LEGACY, ORIGIN, SESSION
from facade.core.ports import LegacyLogin
from facade.core.outcomes import InvalidParameter, MissingParameter, NotLoggedIn
from facade.dialect.declarations import IDS, PARAMS, Dialect, Route
from facade.dialect.files import add_static
from facade.dialect.responses import answer, clear_cookie, fixed_success, respond, set_cookie
from facade.dialect.sources import Inputs, raw_body
from facade.dialect.templates import render
from facade.keys import APP_ID, BODIES, CLIENTS, CODECS, CORE, DIALECT, METRICS, MIRROR, ROUTE, UPSTREAMS
from facade.upstream.client import PROXY as PROXIED
from facade.upstream.client import respond as respond_as
from facade.upstream.config import LOGIN, PROXY, SERVE, Upstream
from facade.upstream.migrate import ByLegacyServer
from facade.upstream.relay import call_of


class Endpoint:
    def __init__(self, dialect: Dialect, routes: list[Route], upstream: Upstream | None = None) -> None:
        self.dialect = dialect
        self.routes = routes
        self.upstream = upstream
        # Answers that are the same bytes every time, by route: only those with no cookie or flow to set.
        self._fixed = {id(route): fixed for route in routes if route.cookie is None and route.flow is None
                       and (fixed := fixed_success(dialect, route)) is not None}
        self._body_limit = max((r.max_body_bytes or 0 for r in routes), default=0) or None
        self._supplied: dict[str, Callable[[web.Request, Inputs], Awaitable[Any]]] = {
            SESSION: self._session, ORIGIN: self._origin, APP: self._app, CLIENT: self._client, FLOW: self._flow_secret,
            LEGACY: self._legacy}
        modes = {upstream.mode_of(route) for route in routes} if upstream else {SERVE}
        self._proxied_unread = modes == {PROXY}  # nothing here is the facade's to read
        # The body's bytes as sent are kept where they may go to the legacy server too.
        self._keep_raw = upstream is not None and (modes != {SERVE} or (
            upstream.lazy_migration and any(route.operation == LOGIN for route in routes)))

    async def handle(self, request: web.Request) -> web.Response:
        request[DIALECT] = self.dialect
        bodies = request.app[BODIES]
        held = bodies.take(request, self._body_limit)
        try:
            if self._proxied_unread:
                if len(self.routes) == 1:  # for the metrics, and for the route's own error if the server fails
                    request[ROUTE] = self.routes[0]
                return await self._proxy(request, await raw_body(request, bodies, self._body_limit))
            return await self._answer(request)
        finally:
            bodies.give_back(held)

    async def _proxy(self, request: web.Request, body: bytes) -> web.Response:
        """The legacy server's answer, byte for byte."""
        relay = request.app[UPSTREAMS][self.dialect.name]
        return respond_as(await relay.client.send(call_of(request, body), PROXIED))

    async def _answer(self, request: web.Request) -> web.Response:
        inputs, route = await self._prepare(request)
        if self.upstream is not None and self.upstream.mode_of(route) == PROXY:
            return await self._proxy(request, inputs.raw or b"")
        if self.upstream is not None and self.upstream.mirrors(route):
            request[MIRROR] = call_of(request, inputs.raw or b"")
        # The session before the parameters: a caller who is not logged in learns nothing more.
        supplied = {name: await self._supplied[name](request, inputs) for name in route.supplied}
        wire = route.arguments(inputs)
        step = self._step(request, route, inputs, wire)
        result = await request.app[CORE].call(route.operation, {**wire, **supplied}, step)
        fixed = self._fixed.get(id(route))
        if fixed is not None:
            return answer(self.dialect, *fixed)
        context = {**self._context(request, result), PARAMS: wire}
        status, body = self.dialect.success_body(route, context)
        response = respond(self.dialect, route, status, body)
        if route.cookie is not None:
            COOKIE_EFFECTS[route.cookie](response, self.dialect.session.cookie, result, context)
        if step is not None:
            self._flow_cookie(response, step)
        return response

    async def _prepare(self, request: web.Request) -> tuple[Inputs, Route]:
        if len(self.routes) == 1:  # known before the body is read, so even an unreadable one gets the route's error
            request[ROUTE] = self.routes[0]
        inputs = await Inputs.read(request, request.app[BODIES], self._body_limit, keep_raw=self._keep_raw)
        if self.dialect.app is not None:  # before anything else: an unknown app learns nothing
            app_id, secret = self.dialect.app.read(inputs)
            await request.app[CORE].apps.check(app_id, secret)
            request[APP_ID] = app_id
        route = self._pick(inputs)
        request[ROUTE] = route
        if route.uses_flow:  # read only where needed: most routes of a flow dialect never touch it
            held = await request.app[CORE].flows.values(self._flow_cookie_value(request))
            inputs.flow, inputs.flow_live = held or {}, held is not None
        return inputs, route

    def _flow_cookie_value(self, request: web.Request) -> str | None:
        return request.cookies.get(self.dialect.flow_cookie["name"])

    def _step(self, request: web.Request, route: Route, inputs: Inputs, wire: dict[str, Any]) -> FlowStep | None:
        """What success does to the client's flow, carried out by the core in the operation's transaction."""
        effects = route.flow
        if effects is None:
            return None
        keep = (lambda result: render(effects.keep, {**_fields(result), PARAMS: wire}) or {}) if effects.keep else None
        return FlowStep(secret=self._flow_cookie_value(request), live=inputs.flow_live, start=effects.start,
                        keep=keep, end=effects.end)

    def _flow_cookie(self, response: web.Response, step: FlowStep) -> None:
        cookie = self.dialect.flow_cookie
        if step.end:
            clear_cookie(response, cookie)
        elif step.started is not None:
            set_cookie(response, cookie, step.started, FLOW_TTL)

    def _pick(self, inputs: Inputs) -> Route:
        for route in self.routes:
            if route.matches(inputs):
                return route
        absent = [c.name for r in self.routes for c in r.conditions if c.equals is not None and not c.given(inputs)]
        if absent:
            raise MissingParameter(absent[0])
        raise InvalidParameter("no route's 'when' matches this request")

    async def _session(self, request: web.Request, inputs: Inputs) -> Session:
        carrier = self.dialect.session
        wire = carrier.find(inputs)
        if wire is None:
            raise NotLoggedIn()
        return await request.app[CODECS][self.dialect.name].session(wire, request.app[CORE], request.get(APP_ID))

    async def _origin(self, request: web.Request, inputs: Inputs) -> str:
        return self.dialect.name

    async def _app(self, request: web.Request, inputs: Inputs) -> str | None:
        return request.get(APP_ID)

    async def _client(self, request: web.Request, inputs: Inputs) -> str | None:
        return request.app[CLIENTS].of(request)

    async def _flow_secret(self, request: web.Request, inputs: Inputs) -> str | None:
        return self._flow_cookie_value(request) if inputs.flow_live else None

    async def _legacy(self, request: web.Request, inputs: Inputs) -> LegacyLogin | None:
        """The legacy server, for a login the core cannot check yet (lazy migration): sent this very request."""
        if self.upstream is None or not self.upstream.lazy_migration:
            return None
        relay, route = request.app[UPSTREAMS][self.dialect.name], request[ROUTE]
        return ByLegacyServer(relay.client, call_of(request, inputs.raw or b""), self.dialect, route,
                              relay.reading(route), request.app[METRICS])

    def _context(self, request: web.Request, result: Any) -> dict[str, Any]:
        context = _fields(result)
        if "user" in context:
            context[IDS] = self.dialect.ids_of(context["user"])
        if "token" in context and self.dialect.session is not None:
            context["token"] = request.app[CODECS][self.dialect.name].encode(result)
        return context


def _fields(result: Any) -> dict[str, Any]:
    return {f.name: getattr(result, f.name) for f in fields(result)} if is_dataclass(result) else {}


def _issue(response: web.Response, cookie: dict[str, Any], result: Any, context: dict[str, Any]) -> None:
    set_cookie(response, cookie, context["token"], int(result.session.expires_at - result.session.created_at))


def _clear(response: web.Response, cookie: dict[str, Any], result: Any, context: dict[str, Any]) -> None:
    clear_cookie(response, cookie)


COOKIE_EFFECTS = {"issue": _issue, "clear": _clear}


def add_routes(app: web.Application, dialects: list[Dialect], upstreams: dict[str, Upstream] | None = None) -> None:
    """Every dialect's routes, and the core's files it serves; ``upstreams``: by dialect, its legacy server."""
    for dialect in dialects:
        grouped: dict[tuple[str, str], list[Route]] = {}
        for route in dialect.routes:
            for method, path in route.served():
                grouped.setdefault((method, path), []).append(route)
        for (method, path), routes in grouped.items():
            handle = Endpoint(dialect, routes, (upstreams or {}).get(dialect.name)).handle
            app.router.add_route(method, path, handle)
            if method == "GET" and ("HEAD", path) not in grouped:  # as HTTP servers commonly do
                app.router.add_route("HEAD", path, handle)
        for prefix, serves in dialect.static:
            add_static(app, prefix, serves)
