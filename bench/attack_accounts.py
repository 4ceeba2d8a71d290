"""Rows for bench/attacks.py: attacks on accounts, on the codes sent to them and on the shadow report, each
with what the attacker was answered and what an honest user got meanwhile.

Clients speak from addresses of their own on the loopback range (127.0.x.y: all of it reaches the server,
which trusts no proxy here), so the server tells them apart as it would tell apart real clients.
"""
from __future__ import annotations

import asyncio
import json
import time

import aiohttp
from harness import Bench, dialects, last_code

PASSWORD = "pw-owner-1"


def at(address: str, base: str) -> aiohttp.ClientSession:
    """A client whose connections leave from ``address``."""
    return aiohttp.ClientSession(base_url=base, connector=aiohttp.TCPConnector(local_addr=(address, 0)),
                                 cookie_jar=aiohttp.CookieJar(unsafe=True))


async def registered(base: str, phone: str, address: str) -> None:
    """An account for ``phone`` (made through express, which sends no code), its owner logged in once
    through istatus from ``address``, so trusted there."""
    express, istatus = dialects()["express"], dialects()["istatus"]
    async with at(address, base) as http:
        assert await express.ok(await express.register(http, phone, PASSWORD))
        assert await istatus.ok(await istatus.login(http, phone, PASSWORD))


def told(texts: list[str], ok: str) -> str:
    """How many answers held the dialect's success fragment, and how many did not."""
    good = sum(ok in text for text in texts)
    return f"{good} ok, {len(texts) - good} refused"


# 11. slow guessing against an owner who logs in from a new address each time

async def slow_guessing(lab, seconds: float = 10.0) -> tuple[str, str]:
    express = dialects()["express"]
    async with at("127.0.1.1", lab.base) as http:
        await express.register(http, "13810000001", PASSWORD)
    answers: list[str] = []
    stop = asyncio.Event()

    async def guess() -> None:
        async with at("127.0.0.1", lab.base) as http:
            while not stop.is_set():
                answers.append(await (await express.login(http, "13810000001", "wrong-guess")).text())
    attacker = asyncio.create_task(guess())
    owner = []
    for i in range(int(seconds)):
        await asyncio.sleep(1)
        async with at(f"127.0.2.{i + 1}", lab.base) as http:  # an address the owner has never used
            owner.append(await express.ok(await express.login(http, "13810000001", PASSWORD)))
    stop.set()
    await attacker
    return (f"{len(answers)} guesses in {seconds:.0f} s: {counted_codes(answers)}",
            f"owner from a new address each second: {sum(owner)}/{len(owner)} in on the first try")


def counted_codes(texts: list[str]) -> str:
    codes: dict[str, int] = {}
    for text in texts:
        message = json.loads(text).get("userMsg", "?")
        codes[message] = codes.get(message, 0) + 1
    return ", ".join(f"{m} x{n}" for m, n in sorted(codes.items(), key=lambda kv: -kv[1]))


# 12. twenty addresses at once: the account-wide wait engages, the owner's trusted device still gets in

async def distributed(lab) -> tuple[str, str]:
    express = dialects()["express"]
    async with at("127.0.3.1", lab.base) as http:
        await express.register(http, "13810000002", PASSWORD)
        await express.login(http, "13810000002", PASSWORD)
    async def two_guesses(i: int) -> list[str]:
        async with at(f"127.0.4.{i + 1}", lab.base) as http:
            return [await (await express.login(http, "13810000002", "wrong-guess")).text() for _ in range(2)]
    guesses = [text for each in await asyncio.gather(*(two_guesses(i) for i in range(20))) for text in each]
    async with at("127.0.5.1", lab.base) as http:
        newcomer = await express.ok(await express.login(http, "13810000002", PASSWORD))
    async with at("127.0.3.1", lab.base) as http:
        trusted = await express.ok(await express.login(http, "13810000002", PASSWORD))
    return (f"40 guesses from 20 addresses: {counted_codes(guesses)}",
            f"right password from a new address: {'LET IN' if newcomer else 'waits'}; "
            f"from the owner's device: {'in' if trusted else 'REFUSED'}")


def counted_status(texts: list[str]) -> str:
    """istatus answers by their status codes and messages, most frequent first."""
    seen: dict[str, int] = {}
    for text in texts:
        status = json.loads(text)["status"]
        said = f"{status['status_code']} {status.get('status_message', '')}".strip()
        seen[said] = seen.get(said, 0) + 1
    return ", ".join(f"{said} x{n}" for said, n in sorted(seen.items(), key=lambda kv: -kv[1]))


# 13. strangers asking for an owner's codes

async def codes_spent(lab) -> tuple[str, str]:
    istatus, owner, phone = dialects()["istatus"], "127.0.6.1", "13810000003"
    await registered(lab.base, phone, owner)
    before = lab.bench.messages_to(phone)

    async def ask(address: str) -> str:
        async with at(address, lab.base) as http:
            return await (await istatus.send_code(http, phone)).text()
    strangers = [await ask(f"127.0.7.{i + 1}") for i in range(20)]
    mine = await ask(owner)
    sent = lab.bench.messages_to(phone) - before
    return (f"20 addresses asking {phone}'s codes: {told(strangers, istatus.succeeded)} "
            f"({counted_status(strangers)})",
            f"owner's reset code: {'sent' if istatus.succeeded in mine else 'REFUSED'}; "
            f"the number got {sent} this hour (ceiling 10)")


# 14. a thousand honest users behind one carrier address, then a code sprayer at that address

async def one_carrier(lab, users: int = 1000, at_once: int = 10, sprayed: int = 500) -> tuple[str, str]:
    istatus, carrier = dialects()["istatus"], "127.0.8.1"
    outcomes: list[str] = []

    async def person(i: int) -> None:
        phone = f"1372{i:07d}"
        async with at(carrier, lab.base) as http:
            if not await istatus.ok(await istatus.send_code(http, phone)):
                return outcomes.append("no code")
            code = last_code(lab.bench.outbox, phone)
            if not await istatus.ok(await istatus.register(http, phone, PASSWORD, code)):
                return outcomes.append("not registered")
            if i % 20 == 0:  # a typo first, on purpose: honest users mistype too
                await (await istatus.login(http, phone, "typo-" + PASSWORD)).read()
            outcomes.append("in" if await istatus.ok(await istatus.login(http, phone, PASSWORD)) else "refused")
    started = time.monotonic()
    for first in range(0, users, at_once):
        await asyncio.gather(*(person(i) for i in range(first, min(users, first + at_once))))
    took = time.monotonic() - started
    async with at(carrier, lab.base) as http:
        spray = [await (await istatus.send_code(http, f"1373{i:07d}")).text() for i in range(sprayed)]
    return (f"sprayer at the same address, {sprayed} numbers: {told(spray, istatus.succeeded)}",
            f"{users} users ({users // 20} typos on purpose), {at_once} at a time, {took:.0f} s: "
            f"{outcomes.count('in')} registered and logged in"
            + "".join(f", {n} {what}" for what in ("no code", "not registered", "refused")
                      if (n := outcomes.count(what))))


# 15. the shadow report as an attacker and as the operator see it

ADMIN_HEADERS = lambda token: {"Authorization": f"Bearer {token}"}  # noqa: E731


async def shadow_leak(bench: Bench, extra: list[str], lab_of, admin_token: str, users: int = 20) -> list[object]:
    """``lab_of``: attacks.Lab, which times the attack with its probe."""
    from tests.legacy import LegacyServer  # the legacy express stand-in, as a process of its own
    legacy = await LegacyServer().start()
    upstream = {"express": {"url": legacy.base, "mode": "shadow"}}
    server = await bench.serve("logging.level=INFO", "server.trusted_proxies=[]", f"admin.token={admin_token}",
                               f"upstreams={json.dumps(upstream)}", *extra)
    tokens: set[str] = set()
    found: dict[str, object] = {}

    async def attack(lab) -> tuple[str, str]:
        express = dialects()["express"]
        async with aiohttp.ClientSession(base_url=lab.base) as http:
            for i in range(users):  # registered here since the cut-over began: the legacy server knows none
                await express.register(http, f"1374000{i:04d}", PASSWORD)
                login = await (await express.login(http, f"1374000{i:04d}", PASSWORD)).json(content_type=None)
                tokens.add(login["data"]["authorization"])
            async with http.get("/_facade/shadow") as public:
                found["public"] = f"{public.status} {(await public.text())[:40]}"
        async with aiohttp.ClientSession(base_url=server.admin, headers=ADMIN_HEADERS(admin_token)) as admin:
            for _ in range(50):  # the comparisons run off the clients' path: wait for them
                report = await (await admin.get("/_facade/shadow")).text()
                if json.loads(report)["dialects"]["express"]["compared"] >= users:
                    break
                await asyncio.sleep(0.1)
            found["report"] = report
            found["metrics"] = await (await admin.get("/_facade/metrics")).text()
        return f"public GET /_facade/shadow: {found['public']}", ""
    row = await lab_of(bench, server).measure("15 shadow report tokens", attack)
    seen = found.get("report", "") + found.get("metrics", "") + server.printed()
    pieces = {token[i:i + 8] for token in tokens for i in range(len(token) - 7)}
    leaked = sum(piece in seen for piece in pieces)
    compared = json.loads(found["report"])["dialects"]["express"] if "report" in found else {}
    row[-1] = (f"{len(tokens)} live tokens; report: {compared.get('compared', 0)} compared, "
               f"{compared.get('different', 0)} different; 8-character pieces of a token found in report, "
               f"metrics or log: {leaked}")
    server.stop()
    bench.servers.remove(server)
    legacy.stop()
    return row
