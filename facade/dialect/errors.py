"""The one place where failures become responses.

A domain outcome is rendered in the envelope of the dialect that was
serving the request; anything unexpected is logged with the request id and
rendered as the 'internal' outcome, so a client never sees a traceback.
"""
from __future__ import annotations

import logging
import secrets
import time
from typing import Awaitable, Callable

from aiohttp import web

from aiohttp.web_urldispatcher import MatchInfoError

from facade.core.outcomes import Internal, NoRoute, Outcome, WrongMethod
from facade.dialect.responses import ContractViolation, clear_cookie, respond
from facade.store import driver_error
from facade.keys import DIALECT, DIALECTS, OUTCOME, REQUEST_ID, ROUTE, STORE_ERROR
from facade.logs import incoming_id, request_id

log = logging.getLogger("facade.requests")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A proxy's well-formed id is kept, so one id follows the request through every tier."""
    request[REQUEST_ID] = incoming_id(request) or secrets.token_hex(16)
    token = request_id.set(request[REQUEST_ID])
    try:
        response = await handler(request)
    except web.HTTPException as plain:  # 404, 405: aiohttp's own answer, with the id added
        plain.headers["X-Request-Id"] = request[REQUEST_ID]
        raise
    finally:
        request_id.reset(token)
    response.headers["X-Request-Id"] = request[REQUEST_ID]
    return response


def _unmatched(request: web.Request) -> None:
    """A path or method no route serves, inside a dialect's URL space, is that dialect's outcome."""
    info = request.match_info
    if not isinstance(info, MatchInfoError):
        return
    owners = [d for d in request.app[DIALECTS] if d.owns(request.path)]
    if not owners:
        return  # outside every dialect: aiohttp's plain 404 or 405 stands
    request[DIALECT] = max(owners, key=lambda d: d.owns(request.path))
    if info.http_exception.status == 405:
        raise WrongMethod(f"{request.method} {request.path}")
    raise NoRoute(request.path)


@web.middleware
async def outcome_responses(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        _unmatched(request)
        response = await handler(request)
        if ROUTE in request:
            request[OUTCOME] = "ok"
        return response
    except (web.HTTPException, ContractViolation):
        raise
    except Outcome as outcome:
        kind: type[Outcome] = type(outcome)
        log.info("%s (%s)", outcome.id, outcome.detail)
    except Exception as error:
        kind = Internal
        log.exception("unexpected error")
        if failed := driver_error(error):
            request[STORE_ERROR] = failed
    request[OUTCOME] = kind.id
    dialect = request.get(DIALECT)
    if dialect is None:
        raise web.HTTPInternalServerError()
    route = request.get(ROUTE)
    facts = {"method": request.method, "path": request.path, "timestamp": int(time.time() * 1000)}
    status, body, enveloped = dialect.failure_body(kind, route, facts)
    response = respond(dialect, route, status, body, checked=enveloped)
    if kind is WrongMethod:
        response.headers["Allow"] = request.match_info.http_exception.headers.get("Allow", "")
    if route is not None and route.cookie == "clear":  # a logout also clears a dead or unknown cookie
        clear_cookie(response, dialect.session.cookie)
    return response
