"""`facade shadow report`: a running server's shadow comparisons (GET /_facade/shadow), as text."""
from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

PATH = "/_facade/shadow"


class Unreachable(Exception):
    pass


async def fetch(base: str, token: str | None = None, timeout: float = 10) -> dict[str, Any]:
    """From the admin listener at ``base``: http://HOST:PORT, or unix:/path of its socket."""
    socket_path = base[len("unix:"):] if base.startswith("unix:") else None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout), headers=headers,
                                         connector=aiohttp.UnixConnector(socket_path) if socket_path else None) as http:
            async with http.get(("http://localhost" if socket_path else base.rstrip("/")) + PATH) as response:
                if response.status != 200:
                    hint = " (without the admin listener's token: --token or $FACADE_ADMIN__TOKEN)" * (
                        response.status == 401)
                    raise Unreachable(f"{base}{PATH} answered {response.status}{hint}")
                return await response.json()
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        raise Unreachable(f"{base}{PATH}: {type(error).__name__}: {error}") from None


def text(base: str, report: dict[str, Any]) -> str:
    lines = [f"shadow comparisons at {base} (process {report['process']}; each process compares what it served)"]
    if not report["dialects"]:
        lines.append("no dialect has an upstream")
    for name, dialect in report["dialects"].items():
        lines.append(f"{name} -> {dialect['url']} (circuit {dialect['breaker']}): {dialect['compared']} compared, "
                     f"{dialect['different']} different, {dialect['unavailable']} unavailable, "
                     f"{dialect['dropped']} dropped")
        for route, outcomes in dialect["routes"].items():
            for outcome, group in outcomes.items():
                lines += _group(route, outcome, group)
    return "\n".join(lines) + "\n"


def _group(route: str, outcome: str, group: dict[str, Any]) -> list[str]:
    lines = [f"  {route} {outcome}: {group['compared']} compared, {group['different']} different"
             + (f", {group['unavailable']} unavailable" if group["unavailable"] else "")]
    for where, field in group["fields"].items():
        lines.append(f"    {where} ({field['count']}): facade {field['facade']!r}, legacy {field['legacy']!r}")
    return lines


def differing(report: dict[str, Any]) -> bool:
    return any(dialect["different"] for dialect in report["dialects"].values())
