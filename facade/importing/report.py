"""What an import tells its operator: the counts of each part, rejected rows as JSON lines
(never a password or a hash), and a progress line on a terminal."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, fields
from typing import Callable, TextIO


@dataclass
class Summary:
    read: int = 0
    imported: int = 0
    merged: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0

    def line(self, part: str) -> str:
        return f"{part}: " + ", ".join(f"{f.name} {getattr(self, f.name):,}" for f in fields(self))


class Report:
    """Rejected rows, one JSON line each: part, line, reason (never a password or a hash)."""

    def __init__(self, out: TextIO | None) -> None:
        self._out = out

    def reject(self, summary: Summary, part: str, line: int, reason: str) -> None:
        summary.rejected += 1
        if self._out is not None:
            self._out.write(json.dumps({"part": part, "line": line, "reason": reason}, ensure_ascii=False) + "\n")


class Progress:
    """A line on a terminal, rewritten twice a second; nothing when there is no terminal."""

    def __init__(self, out: TextIO | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._out = out if out is not None and out.isatty() else None
        self._clock = clock
        self._started = self._shown = clock()

    def show(self, part: str, summary: Summary, total: int) -> None:
        now = self._clock()
        if self._out is None or now - self._shown < 0.5:
            return
        self._shown = now
        rate = summary.read / max(now - self._started, 1e-9)
        self._out.write(f"\r{part}: {summary.read:,}/{total:,} rows, {rate:,.0f}/s ")
        self._out.flush()

    def done(self) -> None:
        if self._out is not None:
            self._out.write("\n")
