"""Reads a legacy source row by row, whatever its size: CSV with a header row,
or JSON lines (one object per line, as mongoexport writes them).

``check`` reads the whole file once before the import writes anything, so a
malformed file, a record with the wrong number of fields, or a column the
description needs and the header lacks stops the import with the file, the
line and the reason. Rows are then streamed again; memory stays flat.
"""
from __future__ import annotations

import csv
import json
from typing import Any, Callable, Iterator

from facade.importing.description import Source

Row = dict[str, Any]
FIELD_LIMIT = 1 << 20  # characters in one CSV field: beyond any legacy column


class SourceError(Exception):
    def __init__(self, source: Source, line: int | str, reason: str) -> None:
        super().__init__(f"{source.path}: line {line}: {reason}")


def rows(source: Source) -> Iterator[tuple[int, Row]]:
    """(line, row) for every record, the line being where it ends in the file."""
    return READERS[source.format](source)


def check(source: Source, needed: set[str]) -> int:
    """Reads every record once; returns how many there are, or raises SourceError."""
    return sum(1 for _ in READERS[source.format](source, needed, made=False))


def _csv(source: Source, needed: set[str] = frozenset(), made: bool = True) -> Iterator[tuple[int, Row | None]]:
    """``made``: each record as a row; without, only checked (a million rows made for nothing cost a second)."""
    csv.field_size_limit(FIELD_LIMIT)
    with source.path.open(encoding=source.encoding, newline="") as file:
        reader = csv.reader(file, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise SourceError(source, 1, "no header row")
            missing = needed - set(header)
            if missing:
                raise SourceError(source, 1, f"the header has no column {', '.join(sorted(missing))}")
            for record in reader:
                if not record:
                    continue  # a blank line
                if len(record) != len(header):
                    raise SourceError(source, reader.line_num, f"{len(record)} fields, the header has {len(header)}")
                yield reader.line_num, dict(zip(header, record, strict=True)) if made else None
        except (csv.Error, UnicodeDecodeError) as error:
            raise SourceError(source, reader.line_num + 1, f"not readable: {error}") from None


def _jsonl(source: Source, needed: set[str] = frozenset(), made: bool = True) -> Iterator[tuple[int, Row]]:
    """Each line as a row (``made`` or not: a line is checked by parsing it)."""
    with source.path.open(encoding=source.encoding) as file:
        line = 0
        try:
            for line, text in enumerate(file, start=1):
                if not text.strip():
                    continue
                try:
                    row = json.loads(text)
                except ValueError as error:
                    raise SourceError(source, line, f"not JSON: {error}") from None
                if not isinstance(row, dict):
                    raise SourceError(source, line, "not a JSON object")
                yield line, row
        except UnicodeDecodeError as error:
            raise SourceError(source, line + 1, f"not readable: {error}") from None


READERS: dict[str, Callable[..., Iterator[tuple[int, Row | None]]]] = {"csv": _csv, "jsonl": _jsonl}
