"""Records to rows and back, for every aggregate's SQL: the one place a dataclass meets its columns."""
from __future__ import annotations

import functools
import operator
from dataclasses import fields
from json.encoder import encode_basestring_ascii as _string
from typing import Any, Callable, Protocol, TypeVar

T = TypeVar("T")
Row = dict[str, Any]
# A uniqueness error names columns; the core speaks of the fields they hold.
FIELDS_OF_COLUMNS = {"username_key": "username", "value": "legacy_id", "user_id": "legacy_id"}


class Db(Protocol):
    """One connection, inside a transaction when written through."""

    async def one(self, sql: str, *args: Any) -> Row | None: ...

    async def all(self, sql: str, *args: Any) -> list[Row]: ...

    async def run(self, sql: str, *args: Any) -> int:
        """Executes a statement; returns how many rows it changed."""

    async def insert_many(self, table: str, columns: tuple[str, ...], rows: list[list[Any]]) -> None:
        """Inserts ``rows`` (values in the order of ``columns``) in as few statements as the backend
        can: an import's batch. Taken when a uniqueness rule refuses any of them. A None is stored as
        NULL, which a backend may do by leaving the column out: the tables have no defaults to differ."""

    def among(self, values: list[Any], start: int) -> tuple[str, list[Any]]:
        """SQL that tests a column against every one of ``values`` at once, its placeholders numbered from
        ``start``, and the arguments it takes: an import looks thousands up in one statement."""

    async def claim(self, keys: list[str]) -> None:
        """Serialises this transaction against any other claiming one of ``keys`` (sorted)."""

    async def next_user_ids(self, count: int) -> list[int]:
        """Ids no other user has or will be given: for users inserted with their id."""

    async def keep_user_ids_above(self, floor: int) -> None:
        """From now on, users get ids above ``floor``; waits for users being inserted meanwhile."""

    async def grew(self, rows: int) -> None:
        """``rows`` users were just inserted in bulk: a planner that keeps statistics may need fresh ones."""


class Rows:
    """``one`` for a backend's ``all``: written once for every backend's Db."""

    async def all(self, sql: str, *args: Any) -> list[Row]:
        raise NotImplementedError

    async def one(self, sql: str, *args: Any) -> Row | None:
        rows = await self.all(sql, *args)
        return rows[0] if rows else None


def field_of(columns: str) -> str:
    """The core's name for what a uniqueness rule over ``columns`` ("phone", "folder, name") protects."""
    last = columns.split(",")[-1].strip()
    return FIELDS_OF_COLUMNS.get(last, last)


def record(cls: type[T], row: Row | None) -> T | None:
    return None if row is None else cls(**{name: row[name] for name in names(cls) if name in row})


@functools.cache
def names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def insert(table: str, cls: type, copies: dict[str, str] | None = None) -> str:
    """An INSERT of ``cls``'s fields in order, returning the row; ``copies`` names columns given another
    field's value."""
    places = {f.name: f"${i}" for i, f in enumerate(fields(cls), start=1)}
    columns = {**places, **{column: places[source] for column, source in (copies or {}).items()}}
    return "INSERT INTO %s (%s) VALUES (%s) RETURNING *" % (table, ", ".join(columns), ", ".join(columns.values()))


def values(record: Any) -> list[Any]:
    getter, mappings = _getter(type(record))
    values = list(getter(record))
    for i in mappings:
        values[i] = column(values[i])
    return values


@functools.cache
def _getter(cls: type) -> tuple[Callable[[Any], tuple[Any, ...]], tuple[int, ...]]:
    """All of a record's fields at once, in order, and which of them are mappings (kept as JSON):
    an import writes a million records."""
    names = [f.name for f in fields(cls)]
    mappings = tuple(i for i, f in enumerate(fields(cls)) if "Mapping" in str(f.type))
    return operator.attrgetter(*names), mappings


def column(value: Any) -> Any:
    """What a field is stored as: a mapping of text to text as JSON (a user's legacy ids; none: no text at
    all), as json.dumps(value, sort_keys=True) writes it, in less than half its time: an import writes a
    million, and json makes an encoder for each call."""
    if not isinstance(value, dict):
        return value
    return "{%s}" % ", ".join([f"{_string(k)}: {_string(v)}" for k, v in sorted(value.items())]) if value else None
