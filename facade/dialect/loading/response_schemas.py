"""The response schema files a mapping names, each read and checked once."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema


class ResponseSchemas:
    def __init__(self, schemas_dir: Path, validate: bool) -> None:
        self.schemas_dir = schemas_dir
        self.validate = validate
        self._schemas: dict[str, dict[str, Any]] = {}  # response schemas by name, each read and checked once
        self._checkers: dict[str, Any] = {}

    def validator(self, name: str | None) -> Any:
        checker = self.checker(name)  # made even when not validating: a bad name fails now
        return checker if self.validate else None

    def checker(self, name: str | None) -> Any:
        """The schema whether or not responses are validated: what a legacy server's answers are checked
        against before anything in them is trusted."""
        if name is None:
            return None
        if name not in self._checkers:
            self._checkers[name] = jsonschema.Draft202012Validator(self._load_schema(name))
        return self._checkers[name]

    def _load_schema(self, name: str) -> dict[str, Any]:
        if name not in self._schemas:
            self._schemas[name] = self._read_schema(name)
        return self._schemas[name]

    def _read_schema(self, name: str) -> dict[str, Any]:
        path = self.schemas_dir / name
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
            jsonschema.Draft202012Validator.check_schema(schema)
        except FileNotFoundError:
            raise ValueError(f"response schema {name}: no such file in {self.schemas_dir}") from None
        except (OSError, ValueError, jsonschema.SchemaError) as error:
            raise ValueError(f"response schema {path}: {str(error).splitlines()[0]}") from None
        return schema
