"""A dialect's OpenAPI 3.1 document, made from its loaded declarations.

Nothing here knows a dialect: every path, parameter, body, answer and
security scheme comes from the Dialect the loader built, and every example
answer is rendered by the engine's own Dialect.success_body and
failure_body, so the document shows the bytes a client gets, not a copy of
the envelope that could drift from it. Each part is written by a module of
facade/dialect/documenting/; this one puts them together.
"""
from __future__ import annotations

from importlib import metadata
from typing import Any

from facade.core.operations import Signature
from facade.dialect.declarations import Dialect
from facade.dialect.documenting import about, security
from facade.dialect.documenting.components import Components
from facade.dialect.documenting.paths import Paths
from facade.dialect.documenting.responses import EXAMPLE_FACTS, Responses
from facade.dialect.documenting.samples import Samples
from facade.dialect.documenting.wire import BODY_MEDIA

__all__ = ["BODY_MEDIA", "EXAMPLE_FACTS", "VERSION", "document"]

VERSION = "3.1.0"


def document(dialect: Dialect, signatures: dict[str, Signature]) -> dict[str, Any]:
    """The dialect's OpenAPI 3.1 document, as a JSON-ready dict."""
    components = Components()
    paths = Paths(dialect, Responses(dialect, Samples(dialect, signatures), components))
    return {
        "openapi": VERSION,
        "info": {"title": f"{dialect.name}", "version": _version(), "description": about.description(dialect)},
        "servers": [{"url": "/"}],
        "tags": [*({"name": route.name, "description": f"operation {route.operation}"} for route in dialect.routes),
                 *({"name": serves, "description": f"files under {prefix}"} for prefix, serves in dialect.static)],
        "paths": paths.paths(),
        "components": _components(components, security.schemes(dialect)),
    }


def _version() -> str:
    try:
        return metadata.version("facade")
    except metadata.PackageNotFoundError:
        return "0"


def _components(components: Components, schemes: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if components.schemas:
        found["schemas"] = components.schemas
    if schemes:
        found["securitySchemes"] = schemes
    return found
