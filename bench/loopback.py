"""Measures the facade over loopback HTTP: latency and throughput per route kind,
and the process's peak memory. Bounded: a fixed number of requests, then it stops.

    python bench/loopback.py [--requests 2000] [--concurrency 20] [--rounds 12]

Speed targets are judged from this script's output, never from a timed test.
"""
from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from facade import config as configuration
from facade.app import init_app
from facade.keys import CORE

ROOT = Path(__file__).resolve().parents[1]
BASE = "/express/login/api"


async def timed(session: aiohttp.ClientSession, method: str, url: str, **kwargs) -> float:
    start = time.perf_counter()
    async with session.request(method, url, **kwargs) as response:
        await response.read()
        assert response.status == 200, response.status
    return time.perf_counter() - start


async def run(label: str, count: int, concurrency: int, make) -> None:
    slots = asyncio.Semaphore(concurrency)

    async def one(i: int) -> float:
        async with slots:
            return await make(i)
    start = time.perf_counter()
    latencies = sorted(await asyncio.gather(*(one(i) for i in range(count))))
    elapsed = time.perf_counter() - start
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    print(f"{label:<22} {count:>6} req  {count / elapsed:>8.1f} req/s  "
          f"p50 {statistics.median(latencies) * 1000:7.2f} ms  p95 {p(0.95):7.2f} ms  p99 {p(0.99):7.2f} ms")


async def cloud_login(http: aiohttp.ClientSession, server: TestServer, url) -> dict[str, str]:
    """Headers of an app and a logged-in user of the register round's first account."""
    app = await server.app[CORE].apps.add("bench")
    headers = {"app_id": app.app_id, "app_secret": app.app_secret}
    async with http.get(url("/api/cloud_user/login/psw"), params={"phone": f"139{0:08d}", "password": "pw"},
                        headers=headers) as response:
        token = (await response.json())["data"]["token"]
    return {**headers, "cloud_token": token}


async def main(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="facade-bench-"))
    config = configuration.load(str(ROOT / "config.yaml"), [
        f"storage.url=sqlite:///{folder / 'bench.db'}", f"security.bcrypt_rounds={args.rounds}",
        "logging.level=WARNING"])
    server = TestServer(init_app(config), host="127.0.0.1")
    await server.start_server()
    url = lambda path: str(server.make_url(path))  # noqa: E731
    hashing = max(1, args.requests // 20)  # bcrypt-bound routes: fewer requests
    async with aiohttp.ClientSession() as http:
        await run("check (no bcrypt)", args.requests, args.concurrency, lambda i: timed(
            http, "GET", url(f"{BASE}/checkInfoIsCanUse/v1"), params={"type": "userName", "info": f"u{i}"}))
        await run(f"register (cost {args.rounds})", hashing, args.concurrency, lambda i: timed(
            http, "POST", url(f"{BASE}/userRegister/v1"),
            data={"userName": f"u{i}", "pwd1": "pw", "pwd2": "pw", "mobile": f"139{i:08d}"}))
        await run(f"login (cost {args.rounds})", hashing, args.concurrency, lambda i: timed(
            http, "POST", url(f"{BASE}/login/v1"), data={"loginInfo": f"u{i}", "pwd": "pw"}))
        await run("bad input (no bcrypt)", args.requests, args.concurrency, lambda i: timed(
            http, "POST", url(f"{BASE}/login/v1"), data=b"{oops", headers={"Content-Type": "application/json"}))
        headers = await cloud_login(http, server, url)
        await run("cloud_user userinfo/get (app check + JWT)", args.requests, args.concurrency, lambda i: timed(
            http, "GET", url("/api/cloud_user/userinfo/get"), headers=headers))
    await server.close()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB (server and client in one process)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=12)
    asyncio.run(main(parser.parse_args()))
