"""Writes a dialect's JSON envelope as bytes, checking it against the
dialect's response schema when contract checking is on."""
from __future__ import annotations

from typing import Any

import jsonschema
from aiohttp import web

from facade.dialect.declarations import Dialect, Route


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
    return web.Response(status=status, body=dialect.style.encode(body),
                        headers={"Content-Type": dialect.style.content_type})


def set_cookie(response: web.Response, cookie: dict[str, Any], value: str, max_age: int) -> None:
    """``cookie`` as a mapping declares it; HttpOnly and SameSite=Lax unless it says otherwise."""
    response.set_cookie(cookie["name"], value, max_age=max_age, path=cookie.get("path", "/"),
                        httponly=cookie.get("http_only", True), secure=cookie.get("secure", False),
                        samesite=cookie.get("same_site", "Lax"))


def clear_cookie(response: web.Response, cookie: dict[str, Any]) -> None:
    response.del_cookie(cookie["name"], path=cookie.get("path", "/"))
