"""The default notifier: each message appended as one JSON line to a file.

Lines are written whole under a lock, off the event loop, so concurrent
sends never interleave and a reader (a test, an operator) sees complete lines.
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

from facade import private_files
from facade.core.codes import Message
from facade.core.outcomes import DeliveryFailed
from facade.notify.payload import payload


class Outbox:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = asyncio.Lock()

    async def deliver(self, message: Message) -> None:
        line = json.dumps(payload(message), ensure_ascii=False)
        async with self._lock:
            try:
                await asyncio.to_thread(self._append, line)
            except OSError as error:
                raise DeliveryFailed(f"outbox: {error.strerror}") from None

    def _append(self, line: str) -> None:
        if not self._path.exists():
            private_files.create(self._path)  # it holds codes: 0600, its folder 0700
        with self._path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
