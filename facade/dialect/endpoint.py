"""One aiohttp handler per method and path: its head reads and bounds the body, checks the app and
picks the route whose 'when' holds; the route's compiled stages (facade/dialect/stages.py) do the
rest. Failures leave as outcomes for the error middleware."""
from __future__ import annotations

from aiohttp import web

from facade.core.outcomes import InvalidParameter, MissingParameter
from facade.dialect.declarations import Dialect, Route
from facade.dialect.files import add_static
from facade.dialect.sources import Inputs, raw_body
from facade.dialect.stages import (
    APP_CHECK, BODY, PICK, RAW_BODY, Exchange, Pipeline, Plug, Stage, nothing_plugged, route_stages)
from facade.keys import APP_ID, BODIES, CORE, DIALECT, ROUTE


class Endpoint:
    def __init__(self, dialect: Dialect, routes: list[Route], plug: Plug = nothing_plugged) -> None:
        self.dialect = dialect
        self.routes = routes
        self.pipelines = tuple(route_stages(dialect, route, plug(dialect, route)) for route in routes)
        self._only = routes[0] if len(routes) == 1 else None  # known before the body is read: its error is the route's
        self._body_limit = max((r.max_body_bytes or 0 for r in routes), default=0) or None
        # The body's bytes as sent are kept where a stage sends them on (to a legacy server).
        self._keep_raw = any(stage.raw for pipeline in self.pipelines for stage in pipeline.stages)
        if all(pipeline.answered_by_plug for pipeline in self.pipelines):  # nothing here is the engine's to read
            self.head, self._answer = (Stage(RAW_BODY, self._read_raw),), self._unread
        else:
            checked = [Stage(APP_CHECK, self._check_app)] if dialect.app is not None else []
            self.head, self._answer = (Stage(BODY, self._read_body), *checked, Stage(PICK, self._route)), self._served
        self._head = tuple(stage.run for stage in self.head)

    def stages(self, route: Route) -> tuple[str, ...]:
        """The names of the stages a request for ``route`` runs, in order."""
        pipeline = self.pipelines[self.routes.index(route)]
        tail = pipeline.names[-1:] if self.head[0].name == RAW_BODY else pipeline.names
        return (*(stage.name for stage in self.head), *tail)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        request[DIALECT] = self.dialect
        bodies = request.app[BODIES]
        held = bodies.take(request, self._body_limit)
        try:
            if self._only is not None:
                request[ROUTE] = self._only
            return await self._answer(Exchange(request, self.dialect, bodies))
        finally:
            bodies.give_back(held)

    async def _served(self, exchange: Exchange) -> web.StreamResponse:
        for step in self._head:
            await step(exchange)
        return await exchange.pipeline.run(exchange)

    async def _unread(self, exchange: Exchange) -> web.StreamResponse:
        await self._head[0](exchange)
        return await self.pipelines[0].last(exchange)

    async def _read_body(self, exchange: Exchange) -> None:
        exchange.inputs = inputs = await Inputs.read(exchange.request, exchange.bodies, self._body_limit,
                                                     keep_raw=self._keep_raw)
        exchange.raw = inputs.raw

    async def _read_raw(self, exchange: Exchange) -> None:
        exchange.raw = await raw_body(exchange.request, exchange.bodies, self._body_limit)

    async def _check_app(self, exchange: Exchange) -> None:
        """Before anything else: an unknown app learns nothing."""
        request = exchange.request
        app_id, secret = self.dialect.app.read(exchange.inputs)
        await request.app[CORE].apps.check(app_id, secret)
        request[APP_ID] = app_id

    async def _route(self, exchange: Exchange) -> None:
        exchange.pipeline = pipeline = self._pick(exchange.inputs)
        exchange.request[ROUTE] = exchange.route = pipeline.route

    def _pick(self, inputs: Inputs) -> Pipeline:
        for pipeline in self.pipelines:
            if pipeline.route.matches(inputs):
                return pipeline
        absent = [c.name for r in self.routes for c in r.conditions if c.equals is not None and not c.given(inputs)]
        if absent:
            raise MissingParameter(absent[0])
        raise InvalidParameter("no route's 'when' matches this request")


def add_routes(app: web.Application, dialects: list[Dialect], plug: Plug = nothing_plugged) -> None:
    """Every dialect's routes, and the core's files it serves; ``plug``: the stages a deployment adds to
    each route (its upstream modes)."""
    for dialect in dialects:
        grouped: dict[tuple[str, str], list[Route]] = {}
        for route in dialect.routes:
            for method, path in route.served():
                grouped.setdefault((method, path), []).append(route)
        for (method, path), routes in grouped.items():
            handle = Endpoint(dialect, routes, plug).handle
            app.router.add_route(method, path, handle)
            if method == "GET" and ("HEAD", path) not in grouped:  # as HTTP servers commonly do
                app.router.add_route("HEAD", path, handle)
        for prefix, serves in dialect.static:
            add_static(app, prefix, serves)
