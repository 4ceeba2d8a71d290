"""Paths the router accepts, and routes that are reachable, within a dialect and across them."""
from __future__ import annotations

import re

from aiohttp import web

from facade.dialect.declarations import Dialect, Route
from facade.dialect.loading.failures import FILE_LEVEL, MappingError, RouteError

RESERVED = "/_facade/"  # the facade's own endpoints; no legacy client calls here
ANY_SEGMENT = re.compile(r"\{[^}:]+\}")  # a path variable without a pattern of its own: any one segment


def check_reserved(paths: tuple[str, ...], label: str) -> None:
    if any(p.startswith(RESERVED) for p in paths):
        raise RouteError(label, f"paths under {RESERVED} are reserved for the facade itself")


def check_path(path: str) -> None:
    """The router's own reading of the path, now rather than when serving starts."""
    try:
        web.UrlDispatcher().add_route("GET", path, _never)
    except ValueError as error:
        raise ValueError(f"path {path!r}: {error}") from None


async def _never(request: web.Request) -> web.Response:
    raise AssertionError("a route made only to check a path is never served")


def check_unique_ids(routes: list[Route]) -> None:
    """Logs, metrics, upstream modes and contract cases name a route by its id."""
    seen: dict[str, Route] = {}
    for route in routes:
        earlier = seen.setdefault(route.name, route)
        if earlier is not route:
            raise RouteError(route.label, f"id {route.name!r} is already {earlier.label}'s")


def check_dispatch(routes: list[Route]) -> None:
    """Routes sharing a method and path are told apart by 'when'; one without it must come last."""
    seen: dict[tuple[str, str], list[Route]] = {}
    for route in routes:
        for method, path in route.served():
            for earlier in seen.setdefault((method, path), []):
                if not earlier.conditions:
                    raise RouteError(route.label, f"unreachable: {earlier.label} has no 'when' and answers first")
                if set(earlier.conditions) == set(route.conditions):
                    raise RouteError(route.label, f"unreachable: {earlier.label} has the same 'when'")
            seen[(method, path)].append(route)


def check_shadowing(routes: list[Route]) -> None:
    """The router tries paths with variables in the order listed (plain paths first): an earlier one
    whose every segment is the same text or a variable that takes any segment answers a later one."""
    earlier: list[tuple[str, str, Route]] = []
    for route in routes:
        for method, path in route.served():
            for seen_method, seen_path, owner in earlier:
                if seen_method == method and seen_path != path and "{" in path and _answers(seen_path, path):
                    raise RouteError(route.label, f"unreachable on {method} {path}: {owner.label}'s path "
                                                  f"{seen_path} answers it first (list the narrower path first)")
            if "{" in path:
                earlier.append((method, path, route))


def _answers(earlier: str, later: str) -> bool:
    first, then = earlier.split("/"), later.split("/")
    if len(first) != len(then):
        return False
    return all(a == b or ANY_SEGMENT.fullmatch(a) for a, b in zip(first, then, strict=True))


def check_no_overlap(dialects: list[Dialect]) -> None:
    owner: dict[tuple[str, str], Dialect] = {}
    for dialect in dialects:
        for route in dialect.routes:
            for method, path in route.served():
                other = owner.setdefault((method, _shape(path)), dialect)
                if other is not dialect:
                    raise MappingError(dialect.file, route.label, f"{method} {path} is already served by {other.file}")
    spaces: dict[str, Dialect] = {}
    for dialect in dialects:
        for prefix in dialect.url_space:
            other = spaces.setdefault(prefix, dialect)
            if other is not dialect:
                raise MappingError(dialect.file, FILE_LEVEL, f"url_space {prefix} is already {other.file}'s")


def _shape(path: str) -> str:
    """Paths that differ only in variable names collide."""
    return re.sub(r"\{[^}]*\}", "{}", path)
