"""Workers killed mid-load: nothing a client was told succeeded may be lost.

    python bench/crash.py [--backend sqlite|postgresql] [--kills 30]

Per backend: `facade serve --workers 2` under a steady registration load
(express, unique phones); ``--kills`` times, at a random moment, one worker
gets SIGKILL (the supervisor starts another). Afterwards every registration
that was answered with success logs in, through express and cloud_user.
Prints: registrations acknowledged, refused or cut off, and acknowledged ones
that cannot log in (must be 0).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal

import aiohttp
from harness import arguments, bench, dialects, table

OK = '{"code":0,"msg":"","userMsg":"","data":null}'


async def load(http: aiohttp.ClientSession, stop: asyncio.Event, acknowledged: list[str], counts: dict) -> None:
    register = dialects()["express"].register
    while not stop.is_set():
        phone = f"13{random.randrange(10**9):09d}"
        try:
            response = await register(http, phone, "pw-1")
            text = await response.text()
        except aiohttp.ClientError:
            counts["cut off"] += 1  # the worker died under this request: the client was told nothing
            continue
        if text == OK:
            acknowledged.append(phone)
        else:
            counts["refused"] += 1


async def run(backend: str, kills: int) -> list[object]:
    with bench(backend) as lab:
        app = lab.add_app()
        server = await lab.serve(workers=2)
        acknowledged: list[str] = []
        counts = {"cut off": 0, "refused": 0}
        stop = asyncio.Event()
        async with aiohttp.ClientSession(base_url=server.base) as http:
            clients = [asyncio.create_task(load(http, stop, acknowledged, counts)) for _ in range(8)]
            for _ in range(kills):
                await asyncio.sleep(random.uniform(0.2, 0.8))
                workers = server.children()
                if workers:
                    os.kill(random.choice(workers), signal.SIGKILL)
            await asyncio.sleep(1)
            stop.set()
            await asyncio.gather(*clients)
            await server.healthy()
            lost = 0
            calls = dialects(app)
            for phone in acknowledged:
                express = await calls["express"].ok(await calls["express"].login(http, phone, "pw-1"))
                cloud = await calls["cloud_user"].ok(await calls["cloud_user"].login(http, phone, "pw-1"))
                lost += not (express and cloud)
    return [backend, kills, len(acknowledged), counts["refused"], counts["cut off"], lost, 0]


async def main(args: argparse.Namespace) -> None:
    rows = [await run(backend, args.kills) for backend in args.backend]
    table(rows, ["backend", "SIGKILLs", "acknowledged", "refused", "cut off", "acknowledged but lost", "must be"])
    raise SystemExit(1 if any(row[5] for row in rows) else 0)


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--kills", type=int, default=30)
    asyncio.run(main(parser.parse_args()))
