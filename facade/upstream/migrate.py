"""The core's LegacyLogin port over HTTP: the login is sent to the legacy server as the client sent it
(the dialect's own wire format, faithful by construction), and its answer is trusted only once it is
the dialect's JSON, valid under the route's response schema; a success is read with the mapping
(facade/upstream/answers.py)."""
from __future__ import annotations

import json
import logging
from typing import Any

from facade.core.outcomes import UpstreamUnavailable
from facade.core.ports import LegacyAccount
from facade.dialect.declarations import Dialect, Route
from facade.metrics import Metrics
from facade.upstream.answers import Reading
from facade.upstream.client import MIGRATE, Call, UpstreamClient

log = logging.getLogger("facade.upstream")


class ByLegacyServer:
    def __init__(self, client: UpstreamClient, call: Call, dialect: Dialect, route: Route, reading: Reading,
                 metrics: Metrics) -> None:
        self._client, self._call, self._dialect, self._route = client, call, dialect, route
        self._reading, self._metrics = reading, metrics

    async def confirm(self) -> LegacyAccount | None:
        answer = await self._client.send(self._call.identity(), MIGRATE)
        body = _json(answer.body)
        schema = self._route.schema
        if body is None or (schema is not None and not schema.is_valid(body)):
            self._client.unreadable()
            log.warning("lazy migration: %s answered %d with what is not %s's answer", self._dialect.name,
                        answer.status, self._route.label)
            raise UpstreamUnavailable("an answer that is not the dialect's")
        if not self._reading.succeeded(answer.status, body):
            self._metrics.migrations.labels(self._dialect.name, "refused").inc()
            return None
        self._metrics.migrations.labels(self._dialect.name, "migrated").inc()
        return self._reading.account(body, self._dialect)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
