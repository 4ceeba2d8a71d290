"""Housekeeping: deletes what nothing needs any more, so tables stay small.

Codes are kept a day (the hourly caps count back one hour), throttle records
until their longest window has passed, and uploads until the flows that made
them could still use them; sessions and flows go when they expire.
"""
from __future__ import annotations

import logging
import time
from typing import Callable, Iterable

from facade.core.codes import HOUR
from facade.core.flows import FLOW_TTL
from facade.core.ports import SWEPT, Store

CODES_KEPT = 86400
log = logging.getLogger("facade.sweep")


class Housekeeping:
    def __init__(self, store: Store, windows: Iterable[float], clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._throttles_kept = max(windows, default=3600)
        self._clock = clock

    async def sweep(self) -> dict[str, int]:
        """Each kind in a transaction of its own: a big delete never holds the writers back for long."""
        now = self._clock()
        swept = {}
        for what in SWEPT:
            async with self._store.write() as work:
                swept[what] = await work.sweep(what, now, codes_before=now - CODES_KEPT,
                                               throttles_before=now - self._throttles_kept,
                                               files_before=now - FLOW_TTL, charges_before=now - HOUR)
        if any(swept.values()):
            log.info("swept %s", ", ".join(f"{n} {what}" for what, n in swept.items() if n))
        return swept
