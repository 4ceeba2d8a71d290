"""The document's paths: one operation per method and path, told apart by 'when' where routes share one."""
from __future__ import annotations

import json
import re
from typing import Any

from facade.dialect.declarations import ABSENT, Dialect, Route
from facade.dialect.documenting.responses import Responses
from facade.dialect.documenting.security import requirements
from facade.dialect.documenting.wire import Wire, condition_text


class Paths:
    def __init__(self, dialect: Dialect, responses: Responses) -> None:
        self.dialect = dialect
        self.responses = responses
        self.operation_ids: set[str] = set()

    def paths(self) -> dict[str, Any]:
        served: dict[tuple[str, str], list[Route]] = {}
        for route in self.dialect.routes:
            for method, path in route.served():
                served.setdefault((path, method), []).append(route)
        paths: dict[str, dict[str, Any]] = {}
        for (path, method), routes in served.items():
            paths.setdefault(_openapi_path(path), {})[method.lower()] = self._operation(method, path, routes)
        for prefix, serves in self.dialect.static:
            paths[f"{prefix}/{{name}}"] = {"get": self._static(prefix, serves)}
        return paths

    def _operation(self, method: str, path: str, routes: list[Route]) -> dict[str, Any]:
        """One method on one path; several routes there are told apart by their 'when'."""
        operation: dict[str, Any] = {
            "operationId": self._operation_id(method, path),
            "tags": list(dict.fromkeys(r.name for r in routes)),
            "summary": " / ".join(dict.fromkeys(r.name for r in routes)),
            "description": self._description(routes),
        }
        wire = Wire(path)
        for route in routes:
            wire.add_route(route, alone=len(routes) == 1)
        parameters = wire.parameters() + self._flow_cookie(routes)
        if parameters:
            operation["parameters"] = parameters
        body = wire.request_body(method)
        if body is not None:
            operation["requestBody"] = body
        operation["responses"] = self.responses.of(routes)
        security = requirements(self.dialect, routes)
        if security:
            operation["security"] = security
        return operation

    def _operation_id(self, method: str, path: str) -> str:
        base = re.sub(r"[^A-Za-z0-9]+", "_", f"{method.lower()} {path}").strip("_")
        name, n = base, 1
        while name in self.operation_ids:
            n += 1
            name = f"{base}_{n}"
        self.operation_ids.add(name)
        return name

    def _description(self, routes: list[Route]) -> str:
        lines = []
        for route in routes:
            when = " and ".join(condition_text(c) for c in route.conditions)
            head = f"**{route.name}** (operation `{route.operation}`)" + (f", when {when}" if when else "")
            if len(routes) > 1 and not route.conditions:
                head += ", otherwise"
            lines.append(head + ".")
            if route.description:
                lines.append(route.description)
            lines.extend(f"- {note}" for note in _route_notes(route, self.dialect))
        return "\n\n".join(lines)

    def _flow_cookie(self, routes: list[Route]) -> list[dict[str, Any]]:
        cookie = self.dialect.flow_cookie
        if cookie is None or not any(r.uses_flow for r in routes):
            return []
        return [{"name": cookie["name"], "in": "cookie", "required": False, "schema": {"type": "string"},
                 "description": "The flow this client is in: set by the server on the step that starts it, "
                                "sent back as it was. It links the steps; without it they stand alone."}]

    def _static(self, prefix: str, serves: str) -> dict[str, Any]:
        images = {kind: {"schema": {"type": "string", "format": "binary", "contentMediaType": kind}}
                  for kind in ("image/png", "image/jpeg", "image/gif", "image/webp")}
        return {
            "operationId": self._operation_id("GET", f"{prefix}/name"),
            "tags": [serves],
            "summary": f"the {serves} this dialect's uploads stored",
            "description": "Only names the server made; each served as the type found inside it, with a "
                           "Content-Security-Policy that runs nothing.",
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"},
                            "description": "the name an upload answered with"}],
            "responses": {"200": {"description": "the stored file", "content": images},
                          "404": {"description": "no file the server stored has this name",
                                  "content": {"text/plain": {"schema": {"type": "string"}}}}},
        }


def _openapi_path(path: str) -> str:
    """aiohttp's ``{name:regex}`` as OpenAPI's ``{name}``."""
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", r"{\1}", path)


def _route_notes(route: Route, dialect: Dialect) -> list[str]:
    notes = []
    for param in route.params:
        if param.const is not ABSENT:
            notes.append(f"`{param.target}` is always `{json.dumps(param.const, ensure_ascii=False)}`.")
        elif "flow" in param.sources:
            names = " or ".join(f"`{n}`" for n in param.names)
            notes.append(f"`{param.target}`: {names} from the flow this client is in"
                         + (", or else as sent." if param.sources != ("flow",) else "."))
    for check in route.checks:
        notes.append(f"`{check.name}` is checked as the legacy server did, and passed on to nothing.")
    if route.cookie == "issue" and dialect.session and dialect.session.cookie:
        notes.append(f"Success sets the cookie `{dialect.session.cookie['name']}` to the session token.")
    if route.cookie == "clear" and dialect.session and dialect.session.cookie:
        notes.append(f"Clears the cookie `{dialect.session.cookie['name']}`.")
    if route.max_body_bytes:
        notes.append(f"A body may be up to {route.max_body_bytes} bytes.")
    return notes
