"""What a dialect's cases leave unproven: a route no step calls with success, or an outcome its
mapping declares (a route's own entry, or the dialect's) that no step answers. A step's outcome
covers the entry that says it: its own id's, else its nearest parent's, the route's before the
dialect's, as the engine picks them. A dialect-level entry that only an operation's declaration
reaches (it may raise the outcome, but never as this dialect's routes call it) is named in the case
file's ``unreachable`` with the reason."""
from __future__ import annotations

from facade.contract.cases import Suite
from facade.core.outcomes import OUTCOMES, Internal, NoRoute, WrongMethod
from facade.dialect.declarations import Dialect

ANY_ROUTE = "*"  # a step answered before any route is chosen: an unknown path or method
UNREACHABLE = {"default", Internal.id}  # what only a fault of the server's own answers


def missing(suite: Suite, dialect: Dialect) -> list[str]:
    routes = {route.name: route for route in dialect.routes}
    covered: set[tuple[str, str]] = set()
    unknown = []
    for route_name, outcome_id in suite.covered():
        if route_name != ANY_ROUTE and route_name not in routes:
            unknown.append(f"a step names route {route_name!r}, which {dialect.name} does not have")
            continue
        if outcome_id != "ok" and outcome_id not in OUTCOMES:
            unknown.append(f"a step names outcome {outcome_id!r}, which the core does not have")
            continue
        covered.add((route_name, "ok") if outcome_id == "ok" else _entry(routes.get(route_name), dialect, outcome_id))
    wanted = {(name, "ok") for name in routes}
    wanted |= {(name, outcome) for name, route in routes.items() for outcome in route.outcomes}
    wanted |= {entry for entry in _dialect_entries(dialect) if entry[1] not in UNREACHABLE}
    return unknown + _unreachable(suite, wanted, covered) + [
        f"no step proves {outcome} on {'any route' if name == ANY_ROUTE else 'route ' + name}"
        for name, outcome in sorted(wanted - covered) if name != ANY_ROUTE or outcome not in suite.unreachable]


def _unreachable(suite: Suite, wanted: set[tuple[str, str]], covered: set[tuple[str, str]]) -> list[str]:
    """A case file may call a dialect-level entry unreachable (with its reason) only if some operation
    declares the outcome yet no step can meet it: never an entry a step proves, or one nothing declares."""
    wrong = []
    for outcome in sorted(suite.unreachable):
        if (ANY_ROUTE, outcome) in covered:
            wrong.append(f"unreachable names {outcome}, which a step proves")
        elif (ANY_ROUTE, outcome) not in wanted:
            wrong.append(f"unreachable names {outcome}, which is no dialect-level entry a route may answer")
    return wrong


def _dialect_entries(dialect: Dialect) -> set[tuple[str, str]]:
    """The dialect's entries some answer can reach: an outcome a route may answer that the route's own
    entries do not take, or an unknown path or method inside the dialect's URL space."""
    reached = {_entry(route, dialect, answered) for route in dialect.routes for answered in route.raises}
    if dialect.url_space:
        reached |= {_entry(None, dialect, kind.id) for kind in (NoRoute, WrongMethod)}
    return {entry for entry in reached if entry[0] == ANY_ROUTE}


def _entry(route, dialect: Dialect, outcome_id: str) -> tuple[str, str]:
    for candidate in OUTCOMES[outcome_id].chain():
        if route is not None and candidate in route.outcomes:
            return route.name, candidate
        if candidate in dialect.outcomes:
            return ANY_ROUTE, candidate
    return ANY_ROUTE, "default"
