"""How the kit learns what only the server side knows, on any server: the code it just sent
(a code oracle) and an app's id and secret (a provisioner).

Code oracles, by ``--codes``:
  ``outbox:PATH``   the facade's outbox file (notify.*: outbox), one JSON line per message;
  ``command:CMD``   a command given the target (a phone or address) as its last argument, printing
                    the code: a query on the legacy database, a call to an SMS gateway's test API;
  ``sink:HOST:PORT`` an SMS gateway the kit runs itself, for a target whose gateway can be pointed
                    at it (a facade: notify.sms: webhook, notify.webhook.url: http://HOST:PORT/): it
                    keeps each code posted as JSON with "to" and "code", and refuses (HTTP 503) one
                    fresh number per case, so a case can prove what a failed delivery answers.
Provisioners, by ``--provision CMD``: a command printing ``{"app_id": ..., "app_secret": ...}``
(for a facade: ``facade apps add --config ...``); or ``--app ID:SECRET`` for a pair already issued.
Code expiry, by ``--expire-codes CMD``: a command given a target as its last argument that makes the
codes sent to it expire as if their time had passed (and no longer hold back a new one): an UPDATE on
the server's database, so a case proves what an expired code answers without waiting minutes.
"""
from __future__ import annotations

import asyncio
import json
import shlex
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Callable

from aiohttp import web

from facade.contract.values import fresh

WAIT = 5.0  # seconds a code may take to reach the outbox (delivery runs after the answer on some servers)


class PluginError(Exception):
    pass


async def _awaited(last: Callable[[str], str | None], target: str, where: str) -> str:
    deadline = asyncio.get_running_loop().time() + WAIT
    while True:
        found = last(target)
        if found is not None or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    if found is None:
        raise PluginError(f"no code to {target} in {where}")
    return found


class OutboxCodes:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def code(self, target: str) -> str:
        return await _awaited(self._last, target, str(self.path))

    def _last(self, target: str) -> str | None:
        if not self.path.exists():
            return None
        messages = [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
        codes = [m["code"] for m in messages if m.get("to") == target]
        return codes[-1] if codes else None


class CommandCodes:
    def __init__(self, command: str) -> None:
        self.argv = shlex.split(command)

    async def code(self, target: str) -> str:
        return (await _run([*self.argv, target])).strip()


class SinkCodes:
    """An SMS gateway for the target to post its codes to; refuses the numbers it handed out as
    undeliverable. ``async with`` it to serve (port 0: any free port, then see ``url``)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._codes: dict[str, str] = {}
        self._refused: set[str] = set()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    async def __aenter__(self) -> "SinkCodes":
        app = web.Application()
        app.router.add_post("/", self._posted)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]  # the one chosen, if the port was 0
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _posted(self, request: web.Request) -> web.Response:
        try:
            message = await request.json()
            to, code = str(message["to"]), str(message["code"])
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400, text="expected JSON with to and code")
        if to in self._refused:
            return web.Response(status=503, text="undeliverable")
        self._codes[to] = code
        return web.Response(text="sent")

    def undeliverable(self) -> str:
        """A number no code will reach: each delivery to it is refused."""
        number = fresh()["phone"]
        self._refused.add(number)
        return number

    async def code(self, target: str) -> str:
        return await _awaited(self._codes.get, target, f"the codes posted to {self.url}")


class CommandExpiry:
    def __init__(self, command: str) -> None:
        self.argv = shlex.split(command)

    async def expire(self, target: str) -> None:
        await _run([*self.argv, target])


def code_oracle(spec: str | None) -> OutboxCodes | CommandCodes | SinkCodes | None:
    if spec is None:
        return None
    kind, _, rest = spec.partition(":")
    if kind == "outbox" and rest:
        return OutboxCodes(Path(rest))
    if kind == "command" and rest:
        return CommandCodes(rest)
    host, _, port = rest.rpartition(":")
    if kind == "sink" and host and port.isdigit():
        return SinkCodes(host, int(port))
    raise PluginError(f"--codes {spec}: expected outbox:PATH, command:CMD or sink:HOST:PORT")


@asynccontextmanager
async def listening(oracle: object) -> AsyncIterator[None]:
    """While the cases run: an oracle that serves (the sink) listens."""
    if isinstance(oracle, SinkCodes):
        async with oracle:
            yield
    else:
        yield


async def app_pair(given: str | None, provision: str | None) -> dict[str, str] | None:
    if given:
        app_id, sep, secret = given.partition(":")
        if not sep or not app_id or not secret:
            raise PluginError("--app: expected ID:SECRET")
        return {"id": app_id, "secret": secret}
    if provision:
        printed = await _run(shlex.split(provision))
        try:
            pair = json.loads(printed)
            return {"id": pair["app_id"], "secret": pair["app_secret"]}
        except (ValueError, KeyError, TypeError):
            raise PluginError(f"--provision: expected JSON with app_id and app_secret, got {printed[:200]!r}") from None
    return None


async def _run(argv: list[str]) -> str:
    process = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    if process.returncode != 0:
        raise PluginError(f"{shlex.join(argv)}: exit {process.returncode}: {err.decode(errors='replace').strip()}")
    return out.decode("utf-8", errors="replace")
