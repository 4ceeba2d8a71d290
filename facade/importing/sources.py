"""Reads a legacy source row by row, whatever its size: CSV with a header row,
or JSON lines (one object per line, as mongoexport writes them).

``check`` reads the whole file once before the import writes anything, so a
malformed file, a record with the wrong number of fields, or a column the
description needs and the header lacks stops the import with the file, the
line and the reason. Rows are then streamed again; memory stays flat.
"""
from __future__ import annotations

import codecs
import csv
import json
from itertools import count
from typing import Any, Callable, Iterator

from facade.importing.description import Source

Row = dict[str, Any]
FIELD_LIMIT = 1 << 20  # characters in one CSV field: beyond any legacy column
LINE_LIMIT = 4 << 20  # bytes (characters, for encodings like UTF-16) in one line: beyond any legacy record


class SourceError(Exception):
    def __init__(self, source: Source, line: int | str, reason: str) -> None:
        super().__init__(f"{source.path}: line {line}: {reason}")


def rows(source: Source) -> Iterator[tuple[int, Row]]:
    """(line, row) for every record, the line being where it ends in the file."""
    return READERS[source.format](source)


def check(source: Source, needed: set[str]) -> int:
    """Reads every record once; returns how many there are, or raises SourceError."""
    return sum(1 for _ in READERS[source.format](source, needed, made=False))


def _lines(source: Source) -> Iterator[str]:
    """The file's lines, each decoded on its own where the encoding keeps a line end one byte (UTF-8, GBK...),
    so that what cannot be read is blamed on its own line; none longer than LINE_LIMIT."""
    if not "a\n".encode(source.encoding).endswith(b"a\n"):  # UTF-16 and the like: decoded as a stream
        with source.path.open(encoding=source.encoding, newline="") as file:
            yield from _bounded(source, lambda: file.readline(LINE_LIMIT + 1), lambda text: text)
        return
    decoder = codecs.getincrementaldecoder(source.encoding)()  # stateful: a BOM is dropped from the first line only
    with source.path.open("rb") as file:
        yield from _bounded(source, lambda: file.readline(LINE_LIMIT + 1),
                            lambda raw: decoder.decode(raw, final=not raw.endswith(b"\n")))


def _bounded(source: Source, read: Callable[[], Any], decode: Callable[[Any], str]) -> Iterator[str]:
    for line in count(1):
        try:
            raw = read()
            if not raw:
                return
            if len(raw) > LINE_LIMIT:
                raise SourceError(source, line, f"longer than {LINE_LIMIT} bytes")
            text = decode(raw)
        except UnicodeDecodeError as error:
            raise SourceError(source, line, f"not readable: {error}") from None
        yield text


def _csv(source: Source, needed: set[str] = frozenset(), made: bool = True) -> Iterator[tuple[int, Row | None]]:
    """``made``: each record as a row; without, only checked (a million rows made for nothing cost a second)."""
    csv.field_size_limit(FIELD_LIMIT)
    reader = csv.reader(_lines(source), strict=True)
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
    except csv.Error as error:
        raise SourceError(source, reader.line_num + 1, f"not readable: {error}") from None


def _jsonl(source: Source, needed: set[str] = frozenset(), made: bool = True) -> Iterator[tuple[int, Row]]:
    """Each line as a row (``made`` or not: a line is checked by parsing it)."""
    for line, text in enumerate(_lines(source), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except ValueError as error:
            raise SourceError(source, line, f"not JSON: {error}") from None
        except RecursionError:
            raise SourceError(source, line, "not JSON this reads: nested too deep") from None
        if not isinstance(row, dict):
            raise SourceError(source, line, "not a JSON object")
        yield line, row


READERS: dict[str, Callable[..., Iterator[tuple[int, Row | None]]]] = {"csv": _csv, "jsonl": _jsonl}
