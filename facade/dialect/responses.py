"""Writes a dialect's JSON envelope as bytes, checking it against the
dialect's response schema when contract checking is on."""
from __future__ import annotations

from typing import Any

import jsonschema
from aiohttp import web

from facade.dialect.declarations import Dialect, Route
from facade.dialect.templates import refs


class ContractViolation(AssertionError):
    """A response broke its dialect's schema: a bug in a mapping, never the client's fault."""


def respond(dialect: Dialect, route: Route | None, status: int, body: Any, checked: bool = True) -> web.Response:
    """``checked``: the body is in the dialect's envelope, so its schema applies."""
    validator = (route.validator if route else dialect.validator) if checked else None
    if validator is not None:
        error = jsonschema.exceptions.best_match(validator.iter_errors(body))
        if error is not None:
            where = route.label if route else dialect.name
            raise ContractViolation(f"{dialect.file}: {where}: response breaks its schema: {error.message}")
    return answer(dialect, status, dialect.style.encode(body))


def fixed_success(dialect: Dialect, route: Route) -> tuple[int, bytes] | None:
    """The status and bytes of ``route``'s success when they name nothing the request or its result
    holds (a check's "free to use"), encoded once at start-up instead of per request; None otherwise,
    or when that answer breaks the schema (then each request is refused as before)."""
    if next(refs(route.data), None) is not None:
        return None
    status, body = dialect.success_body(route, {})
    if route.validator is not None and next(route.validator.iter_errors(body), None) is not None:
        return None
    return status, dialect.style.encode(body)


def answer(dialect: Dialect, status: int, body: bytes) -> web.Response:
    return web.Response(status=status, body=body, headers={"Content-Type": dialect.style.content_type})


def set_cookie(response: web.Response, cookie: dict[str, Any], value: str, max_age: int) -> None:
    """``cookie`` as a mapping declares it; HttpOnly and SameSite=Lax unless it says otherwise."""
    response.set_cookie(cookie["name"], value, max_age=max_age, path=cookie.get("path", "/"),
                        httponly=cookie.get("http_only", True), secure=cookie.get("secure", False),
                        samesite=cookie.get("same_site", "Lax"))


def clear_cookie(response: web.Response, cookie: dict[str, Any]) -> None:
    response.del_cookie(cookie["name"], path=cookie.get("path", "/"))
