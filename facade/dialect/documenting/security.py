"""How a caller proves who it is: the security schemes, and which an operation asks for."""
from __future__ import annotations

from itertools import product
from typing import Any

from facade.core.operations import SESSION
from facade.dialect.declarations import Dialect, Route

KEY_PLACES = ("header", "query", "cookie")  # where OpenAPI's apiKey schemes can say a credential travels


def requirements(dialect: Dialect, routes: list[Route]) -> list[dict[str, list[str]]]:
    needs_token = any(SESSION in r.supplied for r in routes)
    app = [{f"app_id_{p}": [], f"app_secret_{p}": []} for p in _app_places(dialect)]
    tokens = [{f"token_{s}_{n}": []} for s, n in _token_places(dialect)] if needs_token else []
    choices = [a for a in (app, tokens) if a]
    return [{k: v for part in combo for k, v in part.items()} for combo in product(*choices)] if choices else []


def _app_places(dialect: Dialect) -> list[str]:
    app = dialect.app
    if app is None:
        return []
    return [p for p in KEY_PLACES if p in app.id[1] and p in app.secret[1]]


def _token_places(dialect: Dialect) -> list[tuple[str, str]]:
    carrier = dialect.session
    return [(s, n) for s, n in carrier.places if s in KEY_PLACES] if carrier else []


def schemes(dialect: Dialect) -> dict[str, Any]:
    found: dict[str, Any] = {}
    carrier = dialect.session
    if carrier is not None:
        everywhere = ", ".join(f"{s} `{n}`" for s, n in carrier.places)
        for source, name in _token_places(dialect):
            found[f"token_{source}_{name}"] = {
                "type": "apiKey", "in": source, "name": name,
                "description": _joined(f"The session token ({carrier.token}) a login answered with. Read "
                                       f"from, in order: {everywhere}.", carrier.description)}
    app = dialect.app
    if app is not None:
        for part, (name, sources) in (("id", app.id), ("secret", app.secret)):
            for place in _app_places(dialect):
                found[f"app_{part}_{place}"] = {
                    "type": "apiKey", "in": place, "name": name,
                    "description": _joined(f"The app's {part}, checked before anything else. Also read "
                                           f"from: {', '.join(sources)}.", app.description)}
    return found


def _joined(*texts: str) -> str:
    return " ".join(t for t in texts if t)
