"""The one place where failures become responses.

A domain outcome is rendered in the envelope of the dialect that was
serving the request; anything unexpected is logged with the request id and
rendered as the 'internal' outcome, so a client never sees a traceback.
"""
from __future__ import annotations

import logging
import os
import time
from typing import Awaitable, Callable

from aiohttp import web

from aiohttp.web_urldispatcher import MatchInfoError

from facade.core.faults import fault_reason, store_fault
from facade.core.outcomes import Internal, NoRoute, Outcome, WrongMethod
from facade.dialect.responses import ContractViolation, clear_cookie, respond
from facade.keys import ANSWERED, DIALECT, DIALECTS, METRICS, OUTCOME, REQUEST_ID, ROUTE, STORE_ERROR
from facade.logs import incoming_id, request_id

log = logging.getLogger("facade.requests")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def served(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request's one wrapper: its id, its failure as its dialect's outcome, its metrics, and its
    answer for the stage that asked for it (a shadow's comparison). One layer, not four: each costs a
    coroutine per request.

    A proxy's well-formed id is kept, so one id follows the request through every tier."""
    request[REQUEST_ID] = given = incoming_id(request) or os.urandom(16).hex()
    token = request_id.set(given)
    started = time.perf_counter()
    try:
        try:
            response = await outcome_of(request, handler)
            answered = request.get(ANSWERED)
            if answered is not None:  # e.g. a shadowed route's answer, success or failure, for comparison
                answered(response)
        finally:
            if DIALECT in request:  # a dialect's answers only: not health checks, scrapes or static files
                request.app[METRICS].answered(request, time.perf_counter() - started)
    except web.HTTPException as plain:  # 404, 405: aiohttp's own answer, with the id added
        plain.headers["X-Request-Id"] = given
        raise
    finally:
        request_id.reset(token)
    response.headers["X-Request-Id"] = given
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


async def outcome_of(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The handler's answer, or the failure it raised as the dialect's outcome."""
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
        if failed := store_fault(error):  # the store's fault, not a bug here: no traceback
            request[STORE_ERROR] = failed
            log.warning("store fault: %s: %s", failed, fault_reason(error))
        else:
            log.exception("unexpected error")
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
