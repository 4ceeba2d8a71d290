"""The legacy express stand-in (tests/legacy_express.py) as a real process: started on a free port,
waited for, told which faults to show, stopped with SIGTERM."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from tests.servers import free_port

SCRIPT = Path(__file__).resolve().parent / "legacy_express.py"


class LegacyServer:
    SPEAKS = "express"  # the one dialect whose wire the stand-in answers
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    async def start(self) -> "LegacyServer":
        self.process = subprocess.Popen([sys.executable, str(SCRIPT), "--port", str(self.port)],
                                        env={**os.environ, "PYTHONPATH": str(SCRIPT.parents[1])},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the legacy stand-in exited"
            try:
                await self.seen()
                return self
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        raise AssertionError("the legacy stand-in did not start")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def reset(self) -> "LegacyServer":
        """As fresh as a new process: no users, tokens, faults or counts."""
        await self._call("POST", "/_legacy/reset")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        async with aiohttp.ClientSession() as http:
            async with http.request(method, self.base + path, json=body) as response:
                assert response.status == 200, await response.text()
                return await response.json()

    async def faults(self, **faults: Any) -> None:
        await self._call("POST", "/_legacy/faults", faults)

    async def seen(self) -> dict[str, int]:
        return await self._call("GET", "/_legacy/seen")

    async def last(self) -> dict[str, Any]:
        return await self._call("GET", "/_legacy/last")

    async def add_user(self, name: str, mobile: str, pwd: str) -> dict[str, Any]:
        """A row already in the legacy database: the password in plain text, as express kept it."""
        return await self._call("POST", "/_legacy/users", {"userName": name, "mobile": mobile, "pwd": pwd})
