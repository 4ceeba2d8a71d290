"""How the kit learns what only the server side knows, on any server: the code it just sent
(a code oracle) and an app's id and secret (a provisioner).

Code oracles, by ``--codes``:
  ``outbox:PATH``   the facade's outbox file (notify.*: outbox), one JSON line per message;
  ``command:CMD``   a command given the target (a phone or address) as its last argument, printing
                    the code: a query on the legacy database, a call to an SMS gateway's test API.
Provisioners, by ``--provision CMD``: a command printing ``{"app_id": ..., "app_secret": ...}``
(for a facade: ``facade apps add --config ...``); or ``--app ID:SECRET`` for a pair already issued.
"""
from __future__ import annotations

import asyncio
import json
import shlex
from pathlib import Path

WAIT = 5.0  # seconds a code may take to reach the outbox (delivery runs after the answer on some servers)


class PluginError(Exception):
    pass


class OutboxCodes:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def code(self, target: str) -> str:
        deadline = asyncio.get_running_loop().time() + WAIT
        while True:
            found = self._last(target)
            if found is not None or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.05)
        if found is None:
            raise PluginError(f"no code to {target} in {self.path}")
        return found

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


def code_oracle(spec: str | None) -> OutboxCodes | CommandCodes | None:
    if spec is None:
        return None
    kind, _, rest = spec.partition(":")
    if kind == "outbox" and rest:
        return OutboxCodes(Path(rest))
    if kind == "command" and rest:
        return CommandCodes(rest)
    raise PluginError(f"--codes {spec}: expected outbox:PATH or command:CMD")


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
