"""Login throttling under attack, at the default bcrypt cost (12).

    python bench/throttle.py [--backend sqlite|postgresql] [--parts 1 2 3] [--workers 1 2]

1. Per backend and dialect: 200 wrong passwords against one account from one
   client. Prints after how many the dialect's throttled answer came, the
   median time of a checked (bcrypt) answer next to a throttled one (a
   throttled answer that took bcrypt's time would show it), whether the right
   password is refused during the wait and works after it, and whether another
   account from another client logs in meanwhile. The configured failures stay
   at the default (10); the wait is shortened to 3 s so the run stays short.
2. A real user's login latency (20 logins, one after another) idle, and while
   24 clients (each its own address) send wrong passwords to another account
   as fast as they can: with throttling on, and with it off (failures set
   beyond reach), side by side.
3. Strangers against an owner: one address guessing at an account as fast as
   it can for 20 s (waits scaled to 1..3 s) while the owner logs in once a
   second from an address never used before (first tries that got in); then
   20 addresses guessing twice each, after which a new address and the
   owner's trusted one try the right password; then 20 addresses asking for
   the owner's reset code and the owner asking for one (istatus).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import aiohttp
from harness import Bench, arguments, bench, dialects, table

ACCOUNT = "throttle.login.account={failures: 10, window: 60, wait: 3, max_wait: 6}"
UNTHROTTLED = ["throttle.login.account={failures: 1000000, window: 60, wait: 1, max_wait: 1}",
               "throttle.login.ip={failures: 1000000, window: 60, wait: 1, max_wait: 1}"]
PASSWORD = "right-pw-1"


async def timed(call) -> tuple[str, float]:
    start = time.perf_counter()
    response = await call
    text = await response.text()
    return text, (time.perf_counter() - start) * 1000


async def two_hundred_wrong(http: aiohttp.ClientSession, name: str, calls: dict, victim: str,
                            bystander: str) -> list[object]:
    login = calls[name].login
    attacker = {"X-Forwarded-For": "10.5.0.1"}
    answers = [await timed(login(http, victim, "wrong", attacker)) for _ in range(200)]
    throttled_text = answers[-1][0]
    first = next(i for i, (text, _) in enumerate(answers) if text == throttled_text) + 1
    checked = [ms for text, ms in answers if text != throttled_text]
    throttled = [ms for text, ms in answers if text == throttled_text]
    during = (await timed(login(http, victim, PASSWORD, attacker)))[0] == throttled_text
    other = await calls[name].ok(await login(http, bystander, PASSWORD, {"X-Forwarded-For": "10.5.0.2"}))
    await asyncio.sleep(6.5)  # the longest wait configured above, and a little more
    after = await calls[name].ok(await login(http, victim, PASSWORD, attacker))
    return [name, first, len(throttled), f"{statistics.median(checked):.0f}", f"{statistics.median(throttled):.1f}",
            "refused" if during else "LET IN", "works" if after else "REFUSED", "works" if other else "REFUSED"]


async def part_one(backend: str) -> list[list[object]]:
    rows = []
    with bench(backend) as lab:
        app = lab.add_app()
        server = await lab.serve(ACCOUNT, rounds=12)
        calls = dialects(app)
        async with aiohttp.ClientSession(base_url=server.base) as http:
            for i, name in enumerate(calls):
                victim, bystander = f"1380000000{i}", f"1390000000{i}"
                for phone in (victim, bystander):
                    await calls["express"].register(http, phone, PASSWORD)
                rows.append([backend, *await two_hundred_wrong(http, name, calls, victim, bystander)])
    return rows


async def real_user(http: aiohttp.ClientSession, login, count: int = 20) -> list[float]:
    return [(await timed(login(http, "13700000001", PASSWORD, {"X-Forwarded-For": "10.6.0.1"})))[1]
            for _ in range(count)]


async def part_two(backend: str, throttled: bool) -> list[object]:
    with bench(backend) as lab:
        server = await lab.serve(*([] if throttled else UNTHROTTLED), rounds=12)
        login = dialects()["express"].login
        async with aiohttp.ClientSession(base_url=server.base) as http:
            for phone in ("13700000001", "13700000002"):
                await dialects()["express"].register(http, phone, PASSWORD)
            idle = await real_user(http, login)
            stop = asyncio.Event()

            async def hammer(i: int) -> int:
                sent = 0
                while not stop.is_set():
                    await (await login(http, "13700000002", "wrong", {"X-Forwarded-For": f"10.7.0.{i}"})).read()
                    sent += 1
                return sent
            attackers = [asyncio.create_task(hammer(i)) for i in range(24)]
            await asyncio.sleep(1)
            attacked = await real_user(http, login)
            stop.set()
            sent = sum(await asyncio.gather(*attackers))
    p95 = lambda values: sorted(values)[int(0.95 * (len(values) - 1))]  # noqa: E731
    return [backend, "on" if throttled else "off", f"{statistics.median(idle):.0f}", f"{p95(idle):.0f}",
            f"{statistics.median(attacked):.0f}", f"{p95(attacked):.0f}", sent]


SCALED = "throttle.login.account={failures: 10, window: 60, wait: 1, max_wait: 3}"


async def slow_guessing(http: aiohttp.ClientSession, login, calls) -> list[object]:
    stop, owner = asyncio.Event(), []

    async def guess() -> int:
        sent = 0
        while not stop.is_set():
            await (await login(http, "13800000001", "wrong", {"X-Forwarded-For": "10.8.0.1"})).read()
            sent += 1
        return sent
    attacker = asyncio.create_task(guess())
    for i in range(20):
        await asyncio.sleep(1)
        owner.append(await calls.ok(await login(http, "13800000001", PASSWORD, {"X-Forwarded-For": f"10.9.{i}.1"})))
    stop.set()
    return ["one address guessing 20 s", f"{await attacker} guesses", f"owner on new addresses: {sum(owner)}/20"]


async def distributed(http: aiohttp.ClientSession, login, calls) -> list[object]:
    trusted = {"X-Forwarded-For": "10.10.0.1"}
    await login(http, "13800000002", PASSWORD, trusted)
    for i in range(40):
        await (await login(http, "13800000002", "wrong", {"X-Forwarded-For": f"10.11.0.{i // 2}"})).read()
    new = await calls.ok(await login(http, "13800000002", PASSWORD, {"X-Forwarded-For": "10.12.0.1"}))
    old = await calls.ok(await login(http, "13800000002", PASSWORD, trusted))
    return ["20 addresses guessing twice", f"new address {'LET IN' if new else 'waits'}",
            f"trusted owner {'gets in' if old else 'REFUSED'}"]


async def codes_spent(http: aiohttp.ClientSession, lab: Bench) -> list[object]:
    istatus = dialects()["istatus"]
    owner = {"X-Forwarded-For": "10.13.0.1"}
    await istatus.login(http, "13800000003", PASSWORD, owner)
    strangers = [await istatus.ok(await istatus.send_code(http, "13800000003", {"X-Forwarded-For": f"10.14.0.{i}"}))
                 for i in range(20)]
    mine = await istatus.ok(await istatus.send_code(http, "13800000003", owner))
    return ["20 addresses asking one number's codes", f"strangers sent {sum(strangers)}",
            f"owner's reset code {'sent' if mine else 'REFUSED'}; messages {lab.messages_to('13800000003')}"]


async def part_three(backend: str, workers: int) -> list[list[object]]:
    with bench(backend) as lab:
        server = await lab.serve(SCALED, "codes.resend_after=0", workers=workers)
        calls = dialects()["express"]
        async with aiohttp.ClientSession(base_url=server.base) as http:
            for i in (1, 2, 3):
                await calls.register(http, f"1380000000{i}", PASSWORD)
            rows = [await slow_guessing(http, calls.login, calls), await distributed(http, calls.login, calls),
                    await codes_spent(http, lab)]
    return [[backend, workers, *row] for row in rows]


async def main(args: argparse.Namespace) -> None:
    if 1 in args.parts:
        first = [row for backend in args.backend for row in await part_one(backend)]
        table(first, ["backend", "dialect", "throttled from attempt", "throttled answers", "checked ms (p50)",
                      "throttled ms (p50)", "right password in the wait", "after the wait", "other account"])
        print()
    if 2 in args.parts:
        second = [await part_two(backend, throttled) for backend in args.backend for throttled in (True, False)]
        table(second, ["backend", "throttling", "idle p50 ms", "idle p95 ms", "attacked p50 ms", "attacked p95 ms",
                       "attack requests"])
        print()
    if 3 in args.parts:
        third = [row for backend in args.backend for workers in args.workers
                 for row in await part_three(backend, workers)]
        table(third, ["backend", "workers", "attack", "attacker", "owner"])


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--parts", nargs="+", type=int, choices=(1, 2, 3), default=[1, 2, 3])
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2], help="processes for part 3 (each a run)")
    asyncio.run(main(parser.parse_args()))
