"""The file read as YAML and checked against schemas/mapping.schema.json."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from facade import shipped, yamlfile
from facade.dialect.loading.failures import FILE_LEVEL, MappingError

VERSION = 2  # of the mapping language


def mapping_schema() -> dict[str, Any]:
    return json.loads((shipped.SCHEMAS / "mapping.schema.json").read_text(encoding="utf-8"))


class Reader:
    def __init__(self) -> None:
        self.schema = jsonschema.Draft202012Validator(mapping_schema())

    def read(self, file: Path) -> dict[str, Any]:
        try:
            raw = yamlfile.safe_load(file.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise MappingError(str(file), FILE_LEVEL, f"not valid YAML: {_yaml_reason(error)}") from None
        if isinstance(raw, dict) and raw.get("version") != VERSION:
            raise MappingError(str(file), FILE_LEVEL, f"version: {raw.get('version')!r}: this facade reads "
                               f"version {VERSION} of the mapping language")
        error = _deepest(jsonschema.exceptions.best_match(self.schema.iter_errors(raw)))
        if error is not None:
            raise MappingError(str(file), _route_at(raw, error.absolute_path), _schema_reason(error))
        return raw


def _route_at(raw: Any, location: Any) -> str:
    parts = list(location)
    if len(parts) >= 2 and parts[0] == "routes" and isinstance(raw, dict):
        route = raw["routes"][parts[1]]
        if isinstance(route, dict):
            return f"{route.get('method', '?')} {route.get('path', '?')} ({route.get('id', '?')})"
        return f"routes[{parts[1]}]"
    return FILE_LEVEL


def _deepest(error: jsonschema.ValidationError | None) -> jsonschema.ValidationError | None:
    """Inside a oneOf, the alternative that got furthest says more than 'not valid under any'."""
    while error is not None and error.context:
        error = jsonschema.exceptions.best_match(error.context)
    return error


def _yaml_reason(error: Exception) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark else problem


def _schema_reason(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "top level"
    if error.validator == "not":  # jsonschema's own words would quote the schema, not say why
        why = error.schema.get("description") if isinstance(error.schema, dict) else None
        return f"{where}: {error.instance!r} is not allowed" + (f": {why}" if why else "")
    return f"{where}: {error.message}"
