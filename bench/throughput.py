"""Throughput of a cheap read and of a login, per backend and worker count,
measured with wrk (Debian's package) over loopback, side by side in one run.

    python bench/throughput.py [--backend sqlite|postgresql] [--workers 1 2] [--seconds 8]

The cheap read is express checkInfoIsCanUse (one indexed read); the login is
express login/v1 at the default bcrypt cost (12), bounded by bcrypt: its
ceiling is cores / one verification's time.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import tempfile

import aiohttp
from harness import arguments, bench, dialects, table

USERS = 64  # logins rotate over them: one account is never asked for many logins at once
LOGIN_LUA = """counter, ok, bad = 0, 0, 0
request = function()
  counter = counter + 1
  local body = "loginInfo=138000" .. string.format("%%05d", counter %% %d) .. "&pwd=pw-bench-1"
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
response = function(status, headers, body)
  if string.find(body, '"code":0', 1, true) then ok = ok + 1 else bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("answers ok %%d failed %%d\\n", ok, bad))
end
""" % USERS


def wrk_output(url: str, seconds: int, connections: int, script: str | None = None,
               core: str | None = None, headers: dict[str, str] | None = None) -> str:
    """What wrk prints for one run; wrk pinned to ``core`` when given."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency", url]
    for name, value in (headers or {}).items():
        command[1:1] = ["-H", f"{name}: {value}"]
    if script:
        command[1:1] = ["-s", script]
    if core is not None:
        command[:0] = ["taskset", "-c", core]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def wrk(url: str, seconds: int, connections: int, script: str | None = None,
        core: str | None = None, headers: dict[str, str] | None = None) -> tuple[float, str]:
    """Requests per second, and wrk's p99 latency; any failed answer stops the run."""
    out = wrk_output(url, seconds, connections, script, core, headers)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed = re.search(r"answers ok \d+ failed (\d+)", out)
    if errors or (failed and failed.group(1) != "0"):
        raise SystemExit(f"wrk saw failures at {url}:\n{out}")
    return rate, p99


async def run(backend: str, workers: int, seconds: int, script: str) -> list[list[object]]:
    with bench(backend) as lab:
        server = await lab.serve(workers=workers, rounds=12)
        async with aiohttp.ClientSession(base_url=server.base) as http:
            for i in range(USERS):
                await dialects()["express"].register(http, f"138000{i:05d}", "pw-bench-1")
        cheap = f"{server.base}/express/login/api/checkInfoIsCanUse/v1?type=userName&info=nobody"
        wrk(cheap, 2, 32)  # warm up: pooled connections opened, code paths run once
        read = wrk(cheap, seconds, 32)
        login = wrk(f"{server.base}/express/login/api/login/v1", seconds, 16, script)
    return [[backend, workers, "cheap read", f"{read[0]:.0f}", read[1]],
            [backend, workers, "login (cost 12)", f"{login[0]:.1f}", login[1]]]


async def main(args: argparse.Namespace) -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(LOGIN_LUA)
    rows = []
    try:
        for backend in args.backend:
            for workers in args.workers:
                rows += await run(backend, workers, args.seconds, lua.name)
    finally:
        os.unlink(lua.name)
    print(f"{os.cpu_count()} cores; wrk and the server share them")
    table(rows, ["backend", "workers", "request", "req/s", "p99"])


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--seconds", type=int, default=8)
    asyncio.run(main(parser.parse_args()))
