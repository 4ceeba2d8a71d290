"""The last stage of a served route: its success envelope, from the operation's result, with what
success does to the session and flow cookies."""
from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from aiohttp import web

from facade.core.flows import FLOW_TTL, FlowStep
from facade.dialect.declarations import IDS, PARAMS, Dialect, Route
from facade.dialect.responses import answer, clear_cookie, fixed_success, respond, set_cookie
from facade.keys import CODECS

if TYPE_CHECKING:
    from facade.dialect.stages import Exchange


def success(dialect: Dialect, route: Route) -> Callable[["Exchange"], Awaitable[web.Response]]:
    # An answer that is the same bytes every time is encoded once: only one with no cookie or flow to set.
    fixed = fixed_success(dialect, route) if route.cookie is None and route.flow is None else None
    if fixed is not None:
        return _fixed(dialect, *fixed)
    effect = COOKIE_EFFECTS[route.cookie] if route.cookie is not None else None

    async def rendered(exchange: "Exchange") -> web.Response:
        context = {**_context(exchange), PARAMS: exchange.wire}
        status, body = dialect.success_body(route, context)
        response = respond(dialect, route, status, body)
        if effect is not None:
            effect(response, dialect.session.cookie, exchange.result, context)
        if exchange.step is not None:
            _flow_cookie(dialect, response, exchange.step)
        return response
    return rendered


def _fixed(dialect: Dialect, status: int, body: bytes) -> Callable[["Exchange"], Awaitable[web.Response]]:
    async def fixed(exchange: "Exchange") -> web.Response:
        return answer(dialect, status, body)
    return fixed


def _context(exchange: "Exchange") -> dict[str, Any]:
    dialect, result = exchange.dialect, exchange.result
    context = fields_of(result)
    if "user" in context:
        context[IDS] = dialect.ids_of(context["user"])
    if "token" in context and dialect.session is not None:
        context["token"] = exchange.request.app[CODECS][dialect.name].encode(result)
    return context


def fields_of(result: Any) -> dict[str, Any]:
    return {f.name: getattr(result, f.name) for f in fields(result)} if is_dataclass(result) else {}


def _flow_cookie(dialect: Dialect, response: web.Response, step: FlowStep) -> None:
    cookie = dialect.flow_cookie
    if step.end:
        clear_cookie(response, cookie)
    elif step.started is not None:
        set_cookie(response, cookie, step.started, FLOW_TTL)


def _issue(response: web.Response, cookie: dict[str, Any], result: Any, context: dict[str, Any]) -> None:
    set_cookie(response, cookie, context["token"], int(result.session.expires_at - result.session.created_at))


def _clear(response: web.Response, cookie: dict[str, Any], result: Any, context: dict[str, Any]) -> None:
    clear_cookie(response, cookie)


COOKIE_EFFECTS = {"issue": _issue, "clear": _clear}
