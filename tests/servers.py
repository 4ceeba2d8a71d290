"""`facade serve` as a real process, for tests that need one: started on a
free port (and its admin listener on another), waited for until healthy,
stopped with SIGTERM."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
CONFIG_FILE = ROOT / "config.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """``facade serve --config config.yaml --port P --set ...``. What it prints goes to a file (a pipe
    nobody reads would stall a busy server); ``log`` holds it once the server has stopped."""

    def __init__(self, *sets: str, args: tuple[str, ...] = (), cwd: Path | None = None,
                 env: dict[str, str] | None = None, config: Path | None = CONFIG_FILE,
                 port: int | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.admin = f"http://127.0.0.1:{free_port()}"  # the admin listener, unless a --set below names another
        command = [sys.executable, "-m", "facade", "serve", *(["--config", str(config)] if config else []),
                   "--port", str(self.port), *args, "--set", f"admin.listen={self.admin.removeprefix('http://')}"]
        for item in sets:
            command += ["--set", item]
        self._output = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.process = subprocess.Popen(command, cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                                        stdout=subprocess.DEVNULL, stderr=self._output, text=True)
        self.log = ""

    def printed(self) -> str:
        """What the server has printed so far. Read at an offset, not by seeking: the server shares this
        file's position, so a seek while it runs would make it write over what it printed before."""
        descriptor = self._output.fileno()
        return os.pread(descriptor, os.fstat(descriptor).st_size, 0).decode("utf-8", "replace")

    async def healthy(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, self.printed()
                try:
                    async with http.get(f"{self.base}/_facade/health") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("facade serve did not become healthy")

    def stop(self, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.finish(timeout)

    def finish(self, timeout: float = 15) -> int:
        """Waits for the server to exit (by itself: a start-up that must fail)."""
        if self._output.closed:
            return self.process.returncode
        self.process.wait(timeout=timeout)
        self.log = self.printed()
        self._output.close()
        return self.process.returncode

    def children(self) -> list[int]:
        """The worker processes (for --workers), read from /proc."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []
