"""Limits and uniqueness under concurrency, on each backend, with 1 and 2
worker processes: what must hold however many requests race.

    python bench/races.py [--backend sqlite|postgresql] [--workers 1 2]

Prints, per backend and worker count:
- messages delivered for 100 concurrent code sends to one number, per code-sending dialect (must be 1);
- codes one client address got for 50 different numbers (must be throttle.codes.ip_hourly, 30);
- users made by 20 concurrent registrations of one phone across four dialects (must be 1);
- successes among 16 concurrent logins with one code (must be 1);
- internal errors (5xx answers, or faults the servers logged) over 900 mixed requests (must be 0).
"""
from __future__ import annotations

import argparse
import asyncio
import random

import aiohttp
from harness import arguments, AppPair, Bench, bench, dialects, internal_errors, last_code, table

SENDERS = [name for name, dialect in dialects().items() if dialect.send_code]


async def one_number_many_sends(http: aiohttp.ClientSession, lab: Bench, app: AppPair) -> list[list[object]]:
    rows = []
    for i, name in enumerate(SENDERS):
        phone = f"1370000000{i}"
        dialect = dialects(app)[name]
        await asyncio.gather(*(dialect.send_code(http, phone, {"X-Forwarded-For": f"10.1.{i}.{n}"})
                               for n in range(100)))
        rows.append([f"100 concurrent sends to one number ({name})", "messages", lab.messages_to(phone), 1])
    return rows


async def one_client_many_numbers(http: aiohttp.ClientSession, app: AppPair) -> list[object]:
    dialect = dialects(app)["cloud_user"]
    answers = await asyncio.gather(*(dialect.send_code(http, f"1360000{n:04d}", {"X-Forwarded-For": "10.2.0.1"})
                                     for n in range(50)))
    sent = sum([await dialect.ok(a) for a in answers])
    return ["codes to 50 numbers from one client", "sent", sent, 30]


async def one_phone_many_registrations(http: aiohttp.ClientSession, lab: Bench, app: AppPair) -> list[object]:
    phone, calls = "13500000000", dialects(app)
    codes = {}
    for name in ("cloud_user", "istatus"):  # resend_after=0: each dialect may get its own code
        await calls[name].send_code(http, phone, {})
        codes[name] = last_code(lab.outbox, phone)
    racers = [calls[name].register(http, phone, "pw-1", codes.get(name), {})
              for name in ("express", "api2", "cloud_user", "istatus") for _ in range(5)]
    await asyncio.gather(*racers)
    return ["20 concurrent registrations of one phone, 4 dialects", "users",
            len(lab.rows("SELECT id FROM users WHERE phone = ?", phone)), 1]


async def one_code_many_logins(http: aiohttp.ClientSession, lab: Bench, app: AppPair) -> list[object]:
    phone, pair = "13400000000", app.headers()
    await dialects(app)["express"].register(http, phone, "pw-1")
    await http.get("/api/cloud_user/code/get", params={"phone": phone, "type": 2}, headers=pair)
    code = last_code(lab.outbox, phone)
    answers = await asyncio.gather(*(http.get("/api/cloud_user/login/code", params={"phone": phone, "code": code},
                                              headers=pair) for _ in range(16)))
    return ["16 concurrent logins with one code", "successes", sum(['"code":1' in await a.text() for a in answers]), 1]


async def mixed(http: aiohttp.ClientSession, app: AppPair, count: int = 900) -> tuple[int, int]:
    """Register, log in, read the profile and log out, across dialects: about ``count`` requests.
    Returns how many were made and how many answered 5xx."""
    calls = dialects(app)
    names = ["express", "api2", "istatus", "cloud_user", "result"]
    slots = asyncio.Semaphore(30)

    async def one(i: int) -> int:
        phone, name = f"1330{i:07d}", names[i % len(names)]
        async with slots:
            statuses = [(await calls[("express", "api2")[i % 2]].register(http, phone, "pw-1")).status]
            login = await calls[name].login(http, phone, "pw-1", {"X-Forwarded-For": f"10.3.{i % 250}.1"})
            statuses.append(login.status)
            if name == "cloud_user" and login.status == 200:
                token = (await login.json(content_type=None))["data"]["token"]
                headers = {**app.headers(), "cloud_token": token}
                statuses.append((await http.get("/api/cloud_user/userinfo/get", headers=headers)).status)
                statuses.append((await http.get("/api/cloud_user/logout", headers=headers)).status)
            return len(statuses), sum(s >= 500 for s in statuses)
    order = list(range(count * 10 // 24))  # 2.4 requests each, on average
    random.shuffle(order)
    done = await asyncio.gather(*(one(i) for i in order))
    return sum(made for made, _ in done), sum(fives for _, fives in done)


async def run(backend: str, workers: int) -> list[list[object]]:
    with bench(backend) as lab:
        app = lab.add_app()
        server = await lab.serve(workers=workers)
        async with aiohttp.ClientSession(base_url=server.base) as http:
            rows = await one_number_many_sends(http, lab, app)
            rows.append(await one_client_many_numbers(http, app))
            rows.append(await one_code_many_logins(http, lab, app))
            made, fives = await mixed(http, app)
        server.stop()
        rows.append([f"{made} mixed requests", "internal errors", fives + internal_errors(server.log), 0])
        # Two dialects' codes for one phone at once: only with the resend interval off.
        racing = await lab.serve("codes.resend_after=0", workers=workers)
        async with aiohttp.ClientSession(base_url=racing.base) as http:
            rows.append(await one_phone_many_registrations(http, lab, app))
    return [[backend, workers, *row] for row in rows]


async def main(args: argparse.Namespace) -> None:
    rows = []
    for backend in args.backend:
        for workers in args.workers:
            rows += await run(backend, workers)
    table(rows, ["backend", "workers", "case", "figure", "got", "must be"])
    wrong = [row for row in rows if row[4] != row[5]]
    raise SystemExit(1 if wrong else 0)


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    asyncio.run(main(parser.parse_args()))
