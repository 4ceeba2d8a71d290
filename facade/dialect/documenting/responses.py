"""What an operation answers: each status with the engine's own rendering of every body as an example."""
from __future__ import annotations

import json
from typing import Any, Iterable

from facade.core.outcomes import (OUTCOMES, AppInvalid, BodyTimeout, BodyTooLarge, Internal, InvalidParameter,
                                  MalformedBody, MissingParameter, Outcome, Overloaded, UnsupportedMediaType)
from facade.dialect.declarations import Dialect, Route
from facade.dialect.documenting.components import Components
from facade.dialect.documenting.samples import Samples

# Outcomes met while the body is read, and those met before a 'when' has picked one of a path's routes.
READING = frozenset(o.id for o in (MalformedBody, BodyTimeout, UnsupportedMediaType, BodyTooLarge, Overloaded))
BEFORE_PICKING = READING | {o.id for o in (Internal, AppInvalid, MissingParameter, InvalidParameter)}
EXAMPLE_FACTS = {"method": "GET", "path": "/", "timestamp": 1700000000000}


class Responses:
    def __init__(self, dialect: Dialect, samples: Samples, components: Components) -> None:
        self.dialect = dialect
        self.samples = samples
        self.components = components

    def of(self, routes: list[Route]) -> dict[str, Any]:
        answers: dict[int, _Answers] = {}
        for route in routes:
            status, body = self.dialect.success_body(route, self.samples.context(route))
            answers.setdefault(status, _Answers()).add(_example_name(route, "ok", routes), body, True, route,
                                                       f"Success ({route.name}).")
        for route, outcome in self._failures(routes):
            status, body, enveloped = self.dialect.failure_body(outcome, route, EXAMPLE_FACTS)
            owner = route or routes[0]
            answers.setdefault(status, _Answers()).add(_example_name(route, outcome.id, routes), body, enveloped,
                                                       owner, _outcome_text(outcome, self.dialect.entry_note(outcome, route)))
        return {str(status): self._response(status, found) for status, found in sorted(answers.items())}

    def _failures(self, routes: list[Route]) -> Iterable[tuple[Route | None, type[Outcome]]]:
        """Every outcome these routes may answer (each route's ``raises``: its operation's declared
        outcomes and the engine's), and the route that answers it: None for the dialect itself, where
        routes told apart by 'when' meet a problem before one is picked."""
        if len(routes) == 1:
            yield from ((routes[0], outcome) for outcome in _kinds(routes[0].raises))
            return
        answerable = set().union(*(route.raises for route in routes))
        yield from ((None, outcome) for outcome in _kinds(answerable & BEFORE_PICKING))
        for route in routes:
            yield from ((route, outcome) for outcome in _kinds(route.raises - READING))

    def _response(self, status: int, answers: "_Answers") -> dict[str, Any]:
        schemas = [self.components.schema_ref(r.schema.schema) for r in answers.routes if r.schema is not None]
        schemas = list({json.dumps(s): s for s in schemas}.values())
        schema: dict[str, Any] | None = schemas[0] if len(schemas) == 1 else ({"anyOf": schemas} if schemas else None)
        if schema is not None and not answers.all_enveloped:
            schema = {"anyOf": [schema, {"type": "object"}]}  # an outcome's own body is outside the envelope
        media: dict[str, Any] = {"examples": {
            name: {"summary": summary, "description": f"`{text(self.dialect, body)}`", "value": body}
            for name, (summary, body) in answers.examples.items()}}
        if schema is not None:
            media = {"schema": schema, **media}
        response = {"description": " ".join(dict.fromkeys(answers.descriptions)),
                    "content": {self.dialect.style.content_type: media}}
        headers = self._set_cookies(answers.routes)
        if headers:
            response["headers"] = headers
        return response

    def _set_cookies(self, routes: list[Route]) -> dict[str, Any]:
        names = []
        if self.dialect.session and self.dialect.session.cookie and any(r.cookie for r in routes):
            names.append(f"{self.dialect.session.cookie['name']} (the session: set on success, cleared on logout)")
        if self.dialect.flow_cookie and any(r.flow for r in routes):
            names.append(f"{self.dialect.flow_cookie['name']} (the flow: set when one starts, cleared when it ends)")
        if not names:
            return {}
        return {"Set-Cookie": {"description": "; ".join(names), "schema": {"type": "string"}}}


class _Answers:
    """The examples one status collects, and the routes whose schemas they follow."""

    def __init__(self) -> None:
        self.examples: dict[str, tuple[str, Any]] = {}
        self.routes: list[Route] = []
        self.descriptions: list[str] = []
        self.all_enveloped = True

    def add(self, name: str, body: Any, enveloped: bool, route: Route, description: str) -> None:
        self.examples.setdefault(name, (description, body))
        if route not in self.routes:
            self.routes.append(route)
        self.descriptions.append("Success." if description.startswith("Success") else "A failure: see the examples.")
        self.all_enveloped = self.all_enveloped and enveloped


def _kinds(ids: Iterable[str]) -> list[type[Outcome]]:
    """Outcome classes for ids, in the core's own order (parents before their refinements)."""
    wanted = set(ids)
    return [kind for outcome_id, kind in OUTCOMES.items() if outcome_id in wanted]


def _example_name(route: Route | None, what: str, routes: list[Route]) -> str:
    return what if route is None or len(routes) == 1 else f"{route.name}: {what}"


def _outcome_text(outcome: type[Outcome], note: str) -> str:
    """The outcome's id, what the core means by it, and why the mapping says it so."""
    doc = (outcome.__doc__ or "").strip().split("\n")[0]
    return f"{outcome.id}" + (f": {doc}" if doc else "") + (f" {note}" if note else "")


def text(dialect: Dialect, body: Any) -> str:
    return dialect.style.encode(body).decode("utf-8")
