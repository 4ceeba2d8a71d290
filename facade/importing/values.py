"""The values an import description gives: a literal, ``$row.<column>`` (a
CSV column, or a JSON key, dotted for nested ones), ``$env.<NAME>`` (read
once, when the description loads: for secrets), or ``{value: …, map: {…}}``
(a value looked up in a table). Compiled once; no text is ever evaluated."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Mapping, Protocol

ROW, ENV = "$row.", "$env."
_PATH = re.compile(r"[A-Za-z_$][\w$-]*(?:\.[A-Za-z_$][\w$-]*)*")
Row = Mapping[str, Any]


class Value(Protocol):
    def of(self, row: Row) -> Any:
        """The value for one row; None when the row leaves it empty."""


@dataclass(frozen=True)
class Fixed:
    value: Any

    def of(self, row: Row) -> Any:
        return self.value


@dataclass(frozen=True)
class Column:
    path: tuple[str, ...]

    def of(self, row: Row) -> Any:
        value: Any = row
        for part in self.path:
            value = value.get(part) if isinstance(value, dict) else None
        return None if value == "" else value


@dataclass(frozen=True)
class Mapped:
    inner: Value
    table: Mapping[str, Any]

    def of(self, row: Row) -> Any:
        value = self.inner.of(row)
        if value is None:
            return None
        key = str(value).lower() if isinstance(value, bool) else str(value)
        if key not in self.table:
            raise ValueError(f"{value!r} is not among the values mapped ({', '.join(self.table)})")
        return self.table[key]


def compile_value(raw: Any, where: str) -> Value:
    """Raises ValueError naming ``where`` for a reference that cannot work."""
    if isinstance(raw, Mapping):
        return Mapped(compile_value(raw["value"], where), {str(k): v for k, v in raw["map"].items()})
    if isinstance(raw, str) and raw.startswith(ROW):
        path = raw[len(ROW):]
        if not _PATH.fullmatch(path):
            raise ValueError(f"{where}: {raw!r} is not a column or key name")
        return Column(tuple(path.split(".")))
    if isinstance(raw, str) and raw.startswith(ENV):
        name = raw[len(ENV):]
        if name not in os.environ:
            raise ValueError(f"{where}: the environment variable {name} is not set")
        return Fixed(os.environ[name])
    return Fixed(raw)


def columns(value: Value) -> set[str]:
    """The top-level columns a value reads (a CSV header must have them)."""
    if isinstance(value, Column):
        return {value.path[0]}
    if isinstance(value, Mapped):
        return columns(value.inner)
    return set()
