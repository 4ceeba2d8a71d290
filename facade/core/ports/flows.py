"""Flows: what a client's multi-step flow holds between its steps."""
from __future__ import annotations

from typing import Any, Protocol


class Flows(Protocol):
    async def get(self, flow_id: str, now: float) -> dict[str, Any] | None:
        """What a live flow holds; None for an unknown or expired one."""

    async def put(self, flow_id: str, values: dict[str, Any], expires_at: float) -> None:
        """Creates the flow (or replaces one with the same id)."""

    async def update(self, flow_id: str, values: dict[str, Any], now: float) -> bool:
        """Replaces a live flow's values, keeping its expiry; False if it is not live."""

    async def end(self, flow_id: str) -> None: ...
