"""One aiohttp handler per method and path: picks the route whose 'when'
holds, gathers the operation's arguments, calls the core once, and renders
the success envelope. Failures leave as outcomes for the error middleware."""
from __future__ import annotations

from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from aiohttp import web

from facade.core.flows import FLOW_TTL
from facade.core.models import Session
from facade.core.operations import APP, ORIGIN, SESSION
from facade.core.outcomes import InvalidParameter, MissingParameter, NotLoggedIn
from facade.dialect.declarations import PARAMS, Dialect, FlowEffects, Route
from facade.dialect.files import add_static
from facade.dialect.responses import clear_cookie, respond, set_cookie
from facade.dialect.sources import Inputs
from facade.dialect.templates import render
from facade.keys import APP_ID, CODECS, CORE, DIALECT, ROUTE


class Endpoint:
    def __init__(self, dialect: Dialect, routes: list[Route]) -> None:
        self.dialect = dialect
        self.routes = routes
        self._body_limit = max((r.max_body_bytes or 0 for r in routes), default=0) or None
        self._supplied: dict[str, Callable[[web.Request, Inputs], Awaitable[Any]]] = {
            SESSION: self._session, ORIGIN: self._origin, APP: self._app}

    async def handle(self, request: web.Request) -> web.Response:
        inputs, route = await self._prepare(request)
        # The session before the parameters: a caller who is not logged in learns nothing more.
        supplied = {name: await self._supplied[name](request, inputs) for name in route.supplied}
        wire = route.arguments(inputs)
        result = await getattr(request.app[CORE], route.operation)(**wire, **supplied)
        context = {**self._context(request, result), PARAMS: wire}
        status, body = self.dialect.success_body(route, context)
        response = respond(self.dialect, route, status, body)
        if route.cookie is not None:
            COOKIE_EFFECTS[route.cookie](response, self.dialect.session.cookie, result, context)
        if route.flow is not None:
            await self._flow(request, response, route.flow, inputs, context)
        return response

    async def _prepare(self, request: web.Request) -> tuple[Inputs, Route]:
        request[DIALECT] = self.dialect
        if len(self.routes) == 1:  # known before the body is read, so even an unreadable one gets the route's error
            request[ROUTE] = self.routes[0]
        inputs = await Inputs.read(request, self._body_limit)
        if self.dialect.app is not None:  # before anything else: an unknown app learns nothing
            app_id, secret = self.dialect.app.read(inputs)
            await request.app[CORE].apps.check(app_id, secret)
            request[APP_ID] = app_id
        route = self._pick(inputs)
        request[ROUTE] = route
        if route.uses_flow:  # read only where needed: most routes of a flow dialect never touch it
            inputs.flow = await request.app[CORE].flows.values(request.cookies.get(self.dialect.flow_cookie["name"]))
        return inputs, route

    async def _flow(self, request: web.Request, response: web.Response, effects: FlowEffects, inputs: Inputs,
                    context: dict[str, Any]) -> None:
        flows, cookie = request.app[CORE].flows, self.dialect.flow_cookie
        secret = request.cookies.get(cookie["name"])
        if effects.end:
            await flows.end(secret)
            clear_cookie(response, cookie)
            return
        values = render(effects.keep, context) or {}
        if effects.start or not inputs.flow:  # a new flow: none was live, or this step begins one
            await flows.end(secret)
            set_cookie(response, cookie, await flows.start(values), FLOW_TTL)
        else:
            await flows.keep(secret, values)

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
        return await request.app[CODECS][carrier.token].session(wire, request.app[CORE], request.get(APP_ID))

    async def _origin(self, request: web.Request, inputs: Inputs) -> str:
        return self.dialect.name

    async def _app(self, request: web.Request, inputs: Inputs) -> str | None:
        return request.get(APP_ID)

    def _context(self, request: web.Request, result: Any) -> dict[str, Any]:
        if not is_dataclass(result):
            return {}
        context = {f.name: getattr(result, f.name) for f in fields(result)}
        if "token" in context and self.dialect.session is not None:
            context["token"] = request.app[CODECS][self.dialect.session.token].encode(result)
        return context


def _issue(response: web.Response, cookie: dict[str, Any], result: Any, context: dict[str, Any]) -> None:
    set_cookie(response, cookie, context["token"], int(result.session.expires_at - result.session.created_at))


def _clear(response: web.Response, cookie: dict[str, Any], result: Any, context: dict[str, Any]) -> None:
    clear_cookie(response, cookie)


COOKIE_EFFECTS = {"issue": _issue, "clear": _clear}


def add_routes(app: web.Application, dialects: list[Dialect], files: Path) -> None:
    """Every dialect's routes, and the core's files it serves (``files`` is the core's folder)."""
    for dialect in dialects:
        grouped: dict[tuple[str, str], list[Route]] = {}
        for route in dialect.routes:
            for path in route.paths:
                grouped.setdefault((route.method, path), []).append(route)
        for (method, path), routes in grouped.items():
            app.router.add_route(method, path, Endpoint(dialect, routes).handle)
        for prefix, serves in dialect.static:
            add_static(app, prefix, files, serves)
