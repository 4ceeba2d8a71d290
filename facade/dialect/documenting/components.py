"""The response schemas answers refer to, each once, as components.schemas."""
from __future__ import annotations

import re
from typing import Any


class Components:
    def __init__(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}  # components.schemas, by name
        self.schema_names: dict[int, str] = {}  # id of a loaded response schema -> its component name

    def schema_ref(self, schema: dict[str, Any]) -> dict[str, Any]:
        name = self.schema_names.get(id(schema))
        if name is None:
            title = schema.get("title") or "response"
            name = re.sub(r"[^A-Za-z0-9._-]+", "_", title).strip("_") or "response"
            while name in self.schemas:
                name += "_"
            self.schema_names[id(schema)] = name
            self.schemas[name] = _embedded(schema, f"#/components/schemas/{name}")
        return {"$ref": f"#/components/schemas/{name}"}

def _embedded(schema: dict[str, Any], at: str) -> dict[str, Any]:
    """A response schema file as a component: its own ``#/...`` references made to point where it now is."""
    def moved(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (at + v[1:] if k == "$ref" and isinstance(v, str) and v.startswith("#") else moved(v))
                    for k, v in value.items() if k != "$schema"}
        if isinstance(value, list):
            return [moved(v) for v in value]
        return value
    return moved(schema)
