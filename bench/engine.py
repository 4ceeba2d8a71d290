"""What the engine costs per request, against hand-written baselines, side by side in one run.

    python bench/engine.py [--seconds 6] [--rounds 3]

Each server runs alone, pinned to core 0, with wrk pinned to core 1; servers alternate within each
round and the median round is reported. The facade runs twice a round: with its access log (INFO)
and without (``logging.level=WARNING`` keeps the ``aiohttp.access`` lines out). Beside it, a
hand-written aiohttp handler that writes an access line and a request id per request as the facade
does, a minimal one that writes neither, and a FastAPI adapter (bench/baselines.py), all through
aiosqlite on the same SQLite file and answering the same bytes.

- cheap read: express checkInfoIsCanUse (one indexed read) on all five;
- login: express login at bcrypt cost 12, against the bound one core gives (1 / one check's time,
  timed on the server's core right after each round's logins, so both see that core as it is; logins
  run for twice --seconds: at three or so a second, a shorter run counts them in steps of a tenth);
- an authenticated read: cloud_user userinfo/get (the app's secret, the JWT, its session, the user's
  profile) on the facade, both ways, and both hand-written aiohttp handlers;
- a cheap read's p99, probed every 20 ms, while wrk drives logins, against the same probe idle.

Besides requests per second it reports each server's CPU time per request (all its threads, from
/proc): on a machine shared with other work, req/s moves with what else runs on the core, while
the CPU a request costs barely does. On a dedicated core the two say the same thing. A refused or
failed answer does not stop the run: non-2xx answers and socket errors wrk reports are counted per
server and printed beside its figures.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from harness import ROOT, bench, dialects, table
from tests.clients import register
from throughput import LOGIN_LUA, USERS, wrk_output

CHEAP = "/express/login/api/checkInfoIsCanUse/v1?type=userName&info=nobody"
PROFILE = "/api/cloud_user/userinfo/get"
JWT_KEY = "bench-" + "k" * 40  # given to the facade and the baseline alike
FREE = '{"code":0,"msg":"success","userMsg":"恭喜该用户名可以使用","data":null}'
SERVER_CORE, LOAD_CORE = "0", "1"
ON, OFF, LOGGING, MINIMAL, FASTAPI = ("facade, access log on", "facade, access log off", "aiohttp, logging",
                                      "aiohttp, minimal", "FastAPI adapter")
AUTHED = (ON, OFF, LOGGING, MINIMAL)
# (workload, facade, baseline, goal): the ratios the engine is held to
GOALS = [("cheap", OFF, MINIMAL, 0.8), ("cheap", ON, LOGGING, 1.0), ("cheap", ON, FASTAPI, 1.5),
         ("cheap", OFF, FASTAPI, 1.5), ("authenticated", OFF, MINIMAL, 0.8), ("authenticated", ON, LOGGING, 0.8)]


class Pinned:
    """One server process on core 0, its log in a file, stopped on exit."""

    def __init__(self, command: list[str], folder: Path, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log = open(folder / f"server-{port}.log", "w")
        self.process = subprocess.Popen(["taskset", "-c", SERVER_CORE, *command], cwd=folder, stdout=self.log,
                                        stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)})

    async def __aenter__(self) -> "Pinned":
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(self.base + CHEAP) as response:
                        assert await response.text() == FREE
                        return self
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
        raise SystemExit(f"{self.base} never answered")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def __aexit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def refusals(out: str) -> int:
    """Non-2xx answers, socket errors, and answers a script counted as failed, in wrk's output."""
    counted = re.findall(r"Non-2xx or 3xx responses: (\d+)|answers ok \d+ failed (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return sum(int(a or b) for a, b in counted) + (sum(map(int, sockets.groups())) if sockets else 0)


def pinned_wrk(url: str, seconds: int, connections: int, script: str | None = None,
               headers: dict[str, str] | None = None) -> tuple[float, int]:
    """req/s and refusals over one wrk run on the load core."""
    out = wrk_output(url, seconds, connections, script, core=LOAD_CORE, headers=headers)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), refusals(out)


def measured_read(server: Pinned, seconds: int, path: str = CHEAP,
                  headers: dict[str, str] | None = None) -> tuple[float, float, int]:
    """req/s, the server's CPU microseconds per request, and refusals, over one wrk run."""
    pinned_wrk(server.base + path, 1, 32, headers=headers)  # warm up
    before = server.cpu_seconds()
    rate, refused = pinned_wrk(server.base + path, seconds, 32, headers=headers)
    return rate, (server.cpu_seconds() - before) / (max(rate, 1e-9) * seconds) * 1e6, refused


async def cloud_user_token(base: str, outbox: Path, pair) -> dict[str, str]:
    """Registers a cloud_user user with a nickname, logs in: the headers its client sends for its profile."""
    calls = dialects(pair)["cloud_user"]
    async with aiohttp.ClientSession(base_url=base) as http:
        await register(calls, http, "13600136000", "pw-bench-1", outbox)
        login = await (await calls.login(http, "13600136000", "pw-bench-1")).json(content_type=None)
    return {**pair.headers(), "cloud_token": login["data"]["token"]}


async def body_of(base: str, path: str, headers: dict[str, str]) -> str:
    async with aiohttp.ClientSession() as http, http.get(base + path, headers=headers) as response:
        return await response.text()


def facade_command(url: str, port: int, rounds: int, outbox: Path, level: str = "INFO") -> list[str]:
    return [sys.executable, "-m", "facade", "serve", "--config", str(ROOT / "config.yaml"),
            "--port", str(port), "--set", f"storage.url={url}", "--set", f"security.bcrypt_rounds={rounds}",
            "--set", f"logging.level={level}", "--set", "security.max_concurrent_hashes=1",
            "--set", f"security.jwt_secret={JWT_KEY}", "--set", f"notify.outbox={outbox}",
            "--set", f"admin.listen=unix:{outbox.parent / 'admin.sock'}"]  # no port to collide with another run


def baseline_command(kind: str, db: Path, port: int) -> list[str]:
    return [sys.executable, str(ROOT / "bench" / "baselines.py"), kind, "--db", str(db), "--port", str(port),
            "--jwt-key", JWT_KEY]


async def probe(base: str, seconds: float) -> float:
    """p99 (ms) of a cheap read sent every 20 ms, one at a time."""
    latencies = []
    async with aiohttp.ClientSession() as http:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            async with http.get(base + CHEAP) as response:
                await response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.02)
    return statistics.quantiles(latencies, n=100)[98]


VERIFY = """
import time, bcrypt
hashed = bcrypt.hashpw(b"x" * 44, bcrypt.gensalt(12))
started = time.perf_counter()
for _ in range(5):
    bcrypt.checkpw(b"y" * 44, hashed)
print((time.perf_counter() - started) / 5)
"""


def verify_seconds() -> float:
    """One check's time at cost 12, on the server's core (the bound is what that one core can do)."""
    return float(subprocess.run(["taskset", "-c", SERVER_CORE, sys.executable, "-c", VERIFY], check=True,
                                capture_output=True, text=True).stdout)


async def main(args: argparse.Namespace) -> None:
    with bench("sqlite") as lab, tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(LOGIN_LUA)
        lua.close()
        port = 18650
        async with Pinned(facade_command(lab.url, port, 12, lab.outbox), lab.folder, port) as server:
            async with aiohttp.ClientSession(base_url=server.base) as http:
                for i in range(USERS):
                    await dialects()["express"].register(http, f"138000{i:05d}", "pw-bench-1")
            cloud = await cloud_user_token(server.base, lab.outbox, lab.add_app())
            profile = await body_of(server.base, PROFILE, cloud)
        db = lab.folder / "facade.db"
        servers = {ON: lambda p: facade_command(lab.url, p, 12, lab.outbox),
                   OFF: lambda p: facade_command(lab.url, p, 12, lab.outbox, "WARNING"),
                   LOGGING: lambda p: baseline_command("aiohttp", db, p),
                   MINIMAL: lambda p: baseline_command("aiohttp-minimal", db, p),
                   FASTAPI: lambda p: baseline_command("fastapi", db, p)}
        runs: dict[str, dict[str, list[tuple[float, float]]]] = {"cheap": {n: [] for n in servers},
                                                                 "authenticated": {n: [] for n in AUTHED}}
        refused = {name: 0 for name in servers}
        logins, bounds, idle, storm = [], [], [], []
        for round_ in range(args.rounds):
            shift = round_ % len(servers)
            for name in list(servers)[shift:] + list(servers)[:shift]:
                port += 1
                async with Pinned(servers[name](port), lab.folder, port) as server:
                    *figures, count = measured_read(server, args.seconds)
                    runs["cheap"][name].append(tuple(figures))
                    refused[name] += count
                    if name in AUTHED:
                        assert await body_of(server.base, PROFILE, cloud) == profile, name
                        *figures, count = measured_read(server, args.seconds, PROFILE, cloud)
                        runs["authenticated"][name].append(tuple(figures))
                        refused[name] += count
                    if name == ON:
                        idle.append(await probe(server.base, args.seconds / 2))
                        load = asyncio.to_thread(pinned_wrk, server.base + "/express/login/api/login/v1",
                                                 2 * args.seconds, 16, lua.name)
                        during = asyncio.create_task(probe(server.base, 2 * args.seconds - 1))
                        rate, count = await load
                        logins.append(rate)
                        refused[name] += count
                        storm.append(await during)
                        bounds.append(1 / verify_seconds())
        os.unlink(lua.name)
    report(args, runs, refused)
    bound = statistics.median(bounds)
    login = statistics.median(logins)
    print(f"\nlogin at cost 12: {login:.2f}/s, bound {bound:.2f}/s (one core / one check), {login / bound:.2f}x")
    print(f"cheap read p99 idle {statistics.median(idle):.1f} ms, during logins {statistics.median(storm):.1f} ms "
          f"({statistics.median(storm) / statistics.median(idle):.1f}x)")


def report(args: argparse.Namespace, runs: dict[str, dict[str, list[tuple[float, float]]]],
           refused: dict[str, int]) -> None:
    """Each workload's medians per server, then the ratios the goals name."""
    medians = {workload: {name: (statistics.median(r for r, _ in got), statistics.median(c for _, c in got))
                          for name, got in servers.items()} for workload, servers in runs.items()}
    print(f"median of {args.rounds} rounds of {args.seconds} s; server on core {SERVER_CORE}, wrk on core {LOAD_CORE}")
    rows = [[name, f"{medians['cheap'][name][0]:.0f}", f"{medians['cheap'][name][1]:.0f}",
             *([f"{medians['authenticated'][name][0]:.0f}", f"{medians['authenticated'][name][1]:.0f}"]
               if name in AUTHED else ["-", "-"]), refused[name]] for name in refused]
    table(rows, ["server", "cheap req/s", "cheap CPU us/req", "authed req/s", "authed CPU us/req", "refused"])
    print("\nratios (facade / baseline; for CPU, baseline's us / facade's us: above 1 is the facade cheaper)")
    ratios = []
    for workload, ours, theirs, goal in GOALS:
        (rate, cost), (base_rate, base_cost) = medians[workload][ours], medians[workload][theirs]
        ratios.append([workload, ours, theirs, f"{rate / base_rate:.2f}x", f"{base_cost / cost:.2f}x", f">= {goal}x"])
    table(ratios, ["read", "facade", "vs", "req/s", "CPU", "goal"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
