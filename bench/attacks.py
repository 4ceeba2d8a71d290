"""One client against everyone else: each attack, replayed against
`facade serve` over loopback, while a cheap request (GET /_facade/health)
is probed every 20 ms from another loopback address.

    python bench/attacks.py [--only NAME ...] [--sets KEY=VALUE ...]

Prints, per attack: what the attacker was answered, the probe's p50, p99 and
slowest answer while it ran (against the p99 of 1.5 s of idle probing just before), the server's peak
RSS meanwhile, the ERROR and traceback lines the server logged, and whatever
the attack is judged by (stored files, live sessions, secrets found...).
Bounded: every attack sends a fixed number of requests or stops after a few
seconds; the whole run takes about two minutes, on SQLite, loopback only.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import io
import json
import random
import re
import resource
import socket
import subprocess
import sys
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Awaitable, Callable

import aiohttp
import yarl
import attack_accounts
from harness import Bench, dialects, table
from PIL import Image

PROBE_FROM = "127.0.0.2"  # the bystander: another address than the attacker's 127.0.0.1
PROBE_EVERY = 0.02
MIB = 1024 * 1024
LOGIN = "/express/login/api/login/v1"
SECRET = "Sekret-7f3a9c"  # every password, key and marker below holds this, so a log that holds it leaks


class Probe:
    """Times GET /_facade/health every 20 ms from PROBE_FROM, and samples the server's RSS, in a process
    of its own: the attacker's work in this one must not show as the server's latency."""

    def __init__(self, base: str, pid: int) -> None:
        self.base, self.pid = base, pid
        self.times: list[float] = []
        self.failed = 0
        self.rss_peak = 0
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        """Returns once the probe has had its first answer, so no attack starts before it is timed."""
        self._process = subprocess.Popen([sys.executable, __file__, "--probe", self.base, str(self.pid)],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout.readline() == "ready\n"

    def finish(self) -> None:
        out, _ = self._process.communicate("stop\n", timeout=30)
        found = json.loads(out)
        self.times, self.failed, self.rss_peak = found["times"], found["failed"], found["rss_peak"]

    def percentile(self, q: float) -> float:
        ordered = sorted(self.times) or [0.0]
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) * 1024


async def probing(base: str, pid: int) -> dict:
    """The probe process: until a line arrives on stdin. Without the garbage collector: a full
    collection here took 11-21 ms, which would be timed as the server's latency."""
    gc.disable()
    times, failed, peak, ready = [], 0, 0, False
    stop = asyncio.Event()
    asyncio.get_running_loop().add_reader(sys.stdin.fileno(), stop.set)
    connector = aiohttp.TCPConnector(local_addr=(PROBE_FROM, 0), limit=4)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as http:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                async with http.get(f"{base}/_facade/health") as response:
                    await response.read()
                    ok = response.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok = False
            elapsed = time.perf_counter() - started
            failed += not ok
            times.append(elapsed * 1000 if ok else 10_000.0)  # a refused probe counts as the worst latency
            if not ready:
                ready = times.pop() and True  # the first opens the connection: it only says the probe is ready
                print("ready", flush=True)
            peak = max(peak, rss(pid))
            await asyncio.sleep(max(0.0, PROBE_EVERY - elapsed))
    return {"times": times, "failed": failed, "rss_peak": peak}


class Lab:
    """One served facade, and what each attack's row needs of it."""

    def __init__(self, bench: Bench, server) -> None:
        self.bench, self.server = bench, server
        self.base = server.base
        self.idle_p99 = 0.0

    def log_mark(self) -> int:
        return len(self.server.printed())

    def log_since(self, mark: int) -> str:
        return self.server.printed()[mark:]

    async def idle(self, seconds: float = 2.0) -> None:
        probe = Probe(self.base, self.server.process.pid)
        await asyncio.to_thread(probe.start)
        await asyncio.sleep(seconds)
        probe.finish()
        self.idle_p99 = probe.percentile(0.99)

    async def measure(self, name: str, attack: Callable[["Lab"], Awaitable[tuple[str, str]]]) -> list[object]:
        await self.idle(1.5)  # just before: the machine's own load changes from minute to minute
        mark = self.log_mark()
        probe = Probe(self.base, self.server.process.pid)
        await asyncio.to_thread(probe.start)
        started = time.monotonic()
        try:
            answer, judged = await attack(self)
        except Exception as error:  # an attack the server made impossible to finish is itself a finding
            answer, judged = f"attack failed: {type(error).__name__}: {error}"[:80], "-"
        # probed at least 2 s from the attack's start: what it leaves behind (bodies drained, work queued) counts
        await asyncio.sleep(max(0.3, 2.0 - (time.monotonic() - started)))
        probe.finish()
        logged = self.log_since(mark)
        errors = sum(" ERROR " in line or line.startswith("Traceback") for line in logged.splitlines())
        p99 = probe.percentile(0.99)
        verdict = "ok" if p99 <= 2 * max(self.idle_p99, 1.0) else "SLOWED"
        return [name, answer, f"{probe.percentile(0.5):.1f}", f"{p99:.1f}", f"{max(probe.times or [0]):.0f}",
                f"{self.idle_p99:.1f}", verdict,
                f"{probe.rss_peak / MIB:.0f}", errors, judged]


def counted(statuses: list[object]) -> str:
    return " ".join(f"{status}x{n}" for status, n in sorted(Counter(map(str, statuses)).items()))


async def post_raw(base: str, path: str, body: bytes, headers: dict[str, str], timeout: float = 30) -> object:
    """One POST on its own connection: the status, or the error that ended it."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout),
                                         auto_decompress=False) as http:
            async with http.post(f"{base}{path}", data=body, headers=headers) as response:
                await response.read()
                return response.status
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return type(error).__name__


def raw_exchange(port: int, data: bytes, wait: float = 3.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(wait)
        try:
            sock.sendall(data)
        except OSError:
            pass
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except OSError:
            pass
        return out


# 1. a compressed body that inflates a thousandfold

@functools.cache
def gzip_bomb(inflated: int = 1024 * MIB) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MIB)
    return b"".join([*(packer.compress(zeros) for _ in range(inflated // MIB)), packer.flush()])


async def compressed(lab: Lab) -> tuple[str, str]:
    bomb = gzip_bomb()
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/x-www-form-urlencoded"}
    started = time.perf_counter()
    answers = await asyncio.gather(*(post_raw(lab.base, path, bomb, headers)
                                     for path in (LOGIN, LOGIN, "/no/such/path", "/i/login")))
    return f"{counted(answers)} in {time.perf_counter() - started:.2f} s", f"body {len(bomb) // 1024} KiB"


# 2. memory: many bodies at once, and a tiny image that decodes huge

async def many_bodies(lab: Lab, count: int = 600) -> tuple[str, str]:
    body = b"loginInfo=x&pwd=" + b"a" * (1000 * 1000 - 16)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        async def one() -> object:
            try:
                async with http.post(f"{lab.base}{LOGIN}", data=body, headers=headers) as response:
                    await response.read()
                    return response.status
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                return type(error).__name__
        answers = await asyncio.gather(*(one() for _ in range(count)))
    return counted(answers), f"{count} x 1 MB"


@functools.cache
def webp_bomb(side: int = 4096) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side)).save(out, "WEBP", lossless=True)
    return out.getvalue()


async def result_upload(http: aiohttp.ClientSession, base: str, data: bytes, name: str = "a.png") -> tuple[int, str]:
    form = aiohttp.FormData()
    form.add_field("img", data, filename=name, content_type="image/png")
    async with http.post(f"{base}/upload", data=form) as response:
        return response.status, await response.text()


async def decode_bomb(lab: Lab) -> tuple[str, str]:
    bomb = webp_bomb()
    async with aiohttp.ClientSession() as http:
        answers = await asyncio.gather(*(result_upload(http, lab.base, bomb, "a.webp") for _ in range(4)))
    return counted(text[:40] for _, text in answers), f"{len(bomb)} B WebP 4096x4096 x4"


# 3. bodies that cost CPU

@functools.cache
def cpu_requests() -> list[tuple[str, bytes, dict[str, str]]]:
    form = "&".join(f"p{i}=1" for i in range(120_000)).encode()[:1000 * 1000]
    boundary = "b0undary"
    parts = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="p{i}"\r\n\r\n1\r\n' for i in range(5000))
    multipart = f"{parts}--{boundary}--\r\n".encode()
    identifier = "\ufdfa" * 330_000
    requests = [
        (LOGIN, form, {"Content-Type": "application/x-www-form-urlencoded"}),
        (LOGIN, multipart, {"Content-Type": f"multipart/form-data; boundary={boundary}"}),
        ("/log", json.dumps({"userId": identifier, "password": "x"}, ensure_ascii=False).encode("utf-8"),
         {"Content-Type": "application/json"}),
        (LOGIN, f"loginInfo={identifier[:100_000]}&pwd=x".encode("utf-8"),
         {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}),
    ]
    return requests


async def cpu_bodies(lab: Lab) -> tuple[str, str]:
    slowest = 0.0
    answers = []
    for _ in range(3):
        for path, body, headers in cpu_requests():
            started = time.perf_counter()
            answers.append(await post_raw(lab.base, path, body, headers))
            slowest = max(slowest, time.perf_counter() - started)
    return counted(answers), f"slowest {slowest * 1000:.0f} ms"


# 4. slow clients

async def slow_clients(lab: Lab, count: int = 1100, hold: float = 8.0) -> tuple[str, str]:
    """``count`` connections from one address, each sending a body's headers and then a byte a second."""
    head = (f"POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 1000\r\n\r\n").encode()
    writers, watchers, not_connected = [], [], 0
    for _ in range(count):
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", lab.server.port), 2)
        except (OSError, asyncio.TimeoutError):
            not_connected += 1
            continue
        writer.write(head)
        writers.append(writer)
        watchers.append(asyncio.create_task(reader.read(64)))  # done when the server answers or hangs up
    deadline = time.monotonic() + hold
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        for writer, watcher in zip(writers, watchers, strict=True):
            if not watcher.done() and not writer.is_closing():
                with contextlib.suppress(OSError):
                    writer.write(b"x")
    answers = Counter()
    for watcher in watchers:
        if watcher.done():
            answer = b"" if watcher.exception() else watcher.result()
            answers[answer[9:12].decode(errors="replace") or "closed"] += 1
    for writer, watcher in zip(writers, watchers, strict=True):
        watcher.cancel()
        writer.close()
    held = len(watchers) - sum(answers.values())
    return (f"{held} held {hold:.0f} s, {counted(list(answers.elements())) or 'none answered'}",
            f"{count} trickling, {not_connected} could not connect")


async def slow_clients_at_file_limit(bench: Bench, extra: list[str]) -> list[object]:
    """The same, against a server whose open-file limit is 1,024 (as on many hosts)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
    try:
        server = await bench.serve("logging.level=INFO", "server.trusted_proxies=[]", *extra)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    lab = Lab(bench, server)
    row = await lab.measure("4b slow clients, 1,024 files", slow_clients)
    await asyncio.sleep(1)
    mark_bytes = len(server.printed())
    row[-1] = f"{row[-1]}; log {mark_bytes // 1024} KiB"
    server.stop()
    bench.servers.remove(server)
    return row


async def crowd(lab: Lab, cap: int = 200, count: int = 300, newcomers: int = 20) -> tuple[str, str]:
    """``count`` sockets from as many addresses, each with half a head sent, against a total cap of ``cap``;
    then ``newcomers`` from other addresses, each asking for the health check once."""
    held = []
    for i in range(count):
        address = f"127.0.{2 + i // 250}.{1 + i % 250}"
        reader, writer = await asyncio.open_connection("127.0.0.1", lab.server.port, local_addr=(address, 0))
        writer.write(b"GET /_facade/health HTTP/1.1\r\nHo")
        held.append((reader, writer))
    await asyncio.sleep(0.3)
    statuses = []
    for i in range(newcomers):
        with socket.create_connection(("127.0.0.1", lab.server.port), source_address=(f"127.0.9.{1 + i}", 0)) as sock:
            sock.settimeout(3)
            sock.sendall(b"GET /_facade/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            try:
                statuses.append(sock.recv(64)[9:12].decode() or "closed")
            except OSError as error:
                statuses.append(type(error).__name__)
    await asyncio.sleep(0.2)
    shed = sum(reader.at_eof() for reader, _ in held)  # the server hung up: nothing else was sent on them
    for _, writer in held:
        writer.close()
    return f"newcomers {counted(statuses)}", f"{count} addresses holding half a head, cap {cap}: {shed} shed"


async def kept_alive(port: int, rounds: int) -> list[str]:
    """One keep-alive connection from the attacker's address asking for the health check ``rounds`` times."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    except (OSError, asyncio.TimeoutError) as error:
        return [type(error).__name__]
    statuses = []
    try:
        for _ in range(rounds):
            writer.write(b"GET /_facade/health HTTP/1.1\r\nHost: x\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
            await reader.readexactly(length)
            statuses.append(head[9:12].decode())
            await asyncio.sleep(0.2)  # held open between requests, as an app's pooled connection is
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as error:
        statuses.append(type(error).__name__)
    finally:
        writer.close()
    return statuses


async def one_address(lab: Lab, count: int = 64, rounds: int = 5) -> tuple[str, str]:
    """``count`` users behind one address (a carrier's, or a balancer missing from trusted_proxies), each on a
    keep-alive connection of its own, all open at once, on a server with room."""
    answers = await asyncio.gather(*(kept_alive(lab.server.port, rounds) for _ in range(count)))
    statuses = [status for each in answers for status in each]
    failed = sum(any(status != "200" for status in each) for each in answers)
    return counted(statuses), f"{count} connections at once from one address, {failed} not served throughout"


async def bystander(bench: Bench, attacked: Lab, extra: list[str]) -> list[object]:
    """2a again, with the probe on a second server that nothing attacks: what the machine itself lets a
    probe see while 600 MB cross its loopback, on two cores shared by the attacker, the servers and the
    probe. An attacked server can do no better than this."""
    server = await bench.serve("logging.level=INFO", "server.trusted_proxies=[]", *extra)
    row = await Lab(bench, server).measure("2a, another server probed", lambda _: many_bodies(attacked))
    server.stop()
    bench.servers.remove(server)
    return row


async def crowd_at_cap(bench: Bench, extra: list[str]) -> list[object]:
    server = await bench.serve("logging.level=INFO", "server.trusted_proxies=[]", "server.max_connections=200", *extra)
    row = await Lab(bench, server).measure("4c crowd of addresses at the cap", crowd)
    server.stop()
    bench.servers.remove(server)
    return row


# 5. client mistakes that must not be logged as our faults

def fuzz_requests() -> list[bytes]:
    b = "fz0"
    form = "application/x-www-form-urlencoded"
    cut = f'--{b}\r\nContent-Disposition: form-data; na'.encode()
    long_line = f'--{b}\r\nContent-Disposition: form-data; name="img"; filename="a.png"\r\n'.encode() + b"X" * 70000
    charset = (f'--{b}\r\nContent-Disposition: form-data; name="_charset_"\r\n\r\n{"x" * 40}\r\n'
               f'--{b}\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--{b}--\r\n').encode()
    def post(path: str, body: bytes, kind: str, extra: str = "") -> bytes:
        return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
                f"{extra}Connection: close\r\n\r\n").encode() + body
    return [
        post(LOGIN, b"\x00garbage", form, "Content-Encoding: gzip\r\n"),
        post(LOGIN, b"garbage", form, "Content-Encoding: x-unknown\r\n"),
        post("/upload", cut, f"multipart/form-data; boundary={b}"),
        post("/upload", long_line, f"multipart/form-data; boundary={b}"),
        post(LOGIN, cut, f"multipart/form-data; boundary={b}"),
        post(LOGIN, charset, f"multipart/form-data; boundary={b}"),
        post("/upload", charset, f"multipart/form-data; boundary={b}"),
        post("/i/login", "username=13800000000&password=ü☃".encode(), f"{form}; charset=utf-8"),
        post(LOGIN, b"\xff\xfe", form),
        post(LOGIN, b'{"loginInfo": [1, {"a": ' * 50, "application/json"),
        post(LOGIN, b"a=1", "multipart/form-data"),
        b"G\x01T / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /" + b"p" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n",
    ]


async def client_mistakes(lab: Lab, rounds: int = 20) -> tuple[str, str]:
    statuses = []
    port = lab.server.port
    for _ in range(rounds):
        for data in fuzz_requests():
            answer = await asyncio.to_thread(raw_exchange, port, data, 2.0)
            statuses.append(answer[9:12].decode() or "closed")
        # a client that leaves mid-body
        head = f"POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(f"{head}Content-Length: 100000\r\n\r\nloginInfo=".encode())
        statuses.append("left")
    return counted(statuses), f"{len(statuses)} requests"


# 6. secrets in logs

async def secrets_in_logs(bench: Bench, extra: list[str]) -> list[object]:
    jwt_key = f"jwt-{SECRET}-" + "k" * 24
    server = await bench.serve("logging.level=DEBUG", f"security.jwt_secret={jwt_key}", *extra)
    lab = Lab(bench, server)
    app = bench.add_app()
    found: dict[str, str] = {}

    async def attack(lab: Lab) -> tuple[str, str]:
        calls = dialects(app)
        answers = []
        async with aiohttp.ClientSession(base_url=lab.base) as http:
            for i, name in enumerate(["express", "api2"]):
                phone = f"1381234000{i}"
                answers.append((await calls[name].register(http, phone, f"pw-{SECRET}-{i}")).status)
            for i, name in enumerate(calls):
                phone = f"1381234000{i % 2}"
                response = await calls[name].login(http, phone, f"pw-{SECRET}-{i % 2}")
                text = await response.text()
                found.update({f"token:{t}": t for t in re.findall(r"[0-9a-f]{32}|eyJ[\w.-]+", text)})
                answers.append(response.status)
            # a request line and a header longer than aiohttp reads, each holding a secret
            answers.append(raw_exchange(lab.server.port, f"GET /x?password={SECRET}{'a' * 9000} HTTP/1.1\r\n"
                                        f"Host: x\r\n\r\n".encode())[9:12].decode())
            answers.append(raw_exchange(lab.server.port, f"GET /x HTTP/1.1\r\nHost: x\r\nCookie: s={SECRET}"
                                        f"{'a' * 9000}\r\n\r\n".encode())[9:12].decode())
        return counted(answers), ""
    row = await lab.measure("6 secrets at DEBUG", attack)
    await asyncio.sleep(0.3)
    hashes = [r["password_hash"] for r in bench.rows("SELECT password_hash FROM users")]
    secrets = {"password/key/marker": SECRET, "jwt key": jwt_key, "app secret": app.app_secret,
               **{f"hash {h[:7]}": h for h in hashes if h}, **found}
    log = server.printed()
    leaked = sorted({label.split(":")[0] for label, value in secrets.items() if value and value in log})
    row[-1] = f"{len(log) // 1024} KiB logged; secrets found: {', '.join(leaked) or 'none'}"
    server.stop()
    bench.servers.remove(server)
    return row


# 7. uploads

@functools.cache
def noise_png(size: int = 600) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (size, size), random.randbytes(size * size * 3)).save(out, "PNG")
    return out.getvalue()


def marked_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = f"EXIF-{SECRET}"  # ImageDescription
    exif.get_ifd(0x8825).update({1: "N", 2: (39.0, 54.0, 27.0)})  # GPS latitude
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(out, "JPEG", exif=exif)
    return out.getvalue() + f"TRAILER-{SECRET}".encode()


async def uploads(lab: Lab) -> tuple[str, str]:
    png = noise_png()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{lab.base}/register", params={"userId": "13912345678"}) as response:
            await response.read()
        started = time.perf_counter()
        answers = [await result_upload(http, lab.base, png) for _ in range(60)]
        elapsed = time.perf_counter() - started
        status, text = await result_upload(http, lab.base, marked_jpeg(), "me.jpg")
    served = b""
    if '"0000"' in text:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{lab.base}/{json.loads(text)['message']}") as response:
                served = await response.read()
    kept = lab.bench.rows("SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(data)), 0) AS bytes FROM files")[0]
    marks = [m for m in ("EXIF", "TRAILER") if f"{m}-{SECRET}".encode() in served] if served else ["not served"]
    return (f"{counted(t[:18] for _, t in answers)} ({len(png) // 1024} KiB each, {elapsed:.2f} s)",
            f"stored {kept['n']} files {int(kept['bytes']) // 1024} KiB; served JPEG keeps: "
            f"{', '.join(marks) or 'nothing'}")


# 8. sessions

async def sessions(lab: Lab) -> tuple[str, str]:
    calls = dialects()
    async with aiohttp.ClientSession(base_url=lab.base) as http:
        await calls["express"].register(http, "13700000077", "pw-123456")
    old_alive = "?"
    async with aiohttp.ClientSession(base_url=lab.base, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await (await calls["istatus"].login(http, "13700000077", "pw-123456")).read()
        old = http.cookie_jar.filter_cookies(yarl.URL(lab.base)).get("istatus_session")
        await (await calls["istatus"].login(http, "13700000077", "pw-123456")).read()
        async with aiohttp.ClientSession(base_url=lab.base) as other:
            async with other.get("/i/user/info", cookies={"istatus_session": old.value}) as response:
                old_alive = "alive" if '"200"' in await response.text() else "ended"
    async with aiohttp.ClientSession(base_url=lab.base) as http:
        login = await calls["result"].login(http, "13700000077", "pw-123456")
        token = json.loads(await login.text())["message"]
        answers = await asyncio.gather(*(http.delete("/log", params={"token": token}) for _ in range(8)))
        texts = [await a.text() for a in answers]
    successes = sum('"0000"' in t for t in texts)
    return f"8 logouts: {successes} succeeded", f"old istatus cookie after a new login: {old_alive}"


# 9. headers

async def headers(lab: Lab) -> tuple[str, str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{lab.base}/_facade/health") as response:
            banner = response.headers.get("Server", "none")
    bad = await asyncio.to_thread(raw_exchange, lab.server.port, b"G\x01T /x?password=" + SECRET.encode() +
                                  b" HTTP/1.1\r\nHost: x\r\n\r\n")
    long = await asyncio.to_thread(raw_exchange, lab.server.port, b"GET /x HTTP/1.1\r\nHost: x\r\nX-A: " +
                                   SECRET.encode() + b"a" * 9000 + b"\r\n\r\n")
    echoed = sum(SECRET.encode() in answer for answer in (bad, long))
    bad_banner = re.search(rb"Server: ([^\r]*)", bad)
    return (f"Server: {banner}; malformed: {bad[9:12].decode()} with Server: "
            f"{bad_banner.group(1).decode() if bad_banner else 'none'}",
            f"answers echoing the bad line: {echoed}/2")


# 10. the operator's endpoints under other spellings, on the public port; the admin listener without its token

ADMIN_TOKEN = "admin-" + SECRET + "-0123456789"


async def operator_paths(lab: Lab) -> tuple[str, str]:
    from tests.test_admin import OPERATOR, spellings
    public = [await asyncio.to_thread(raw_exchange, lab.server.port, f"GET {spelled} HTTP/1.1\r\nHost: x\r\n"
                                      f"Connection: close\r\n\r\n".encode())
              for path in OPERATOR for spelled in spellings(path)]
    async def scrape(http: aiohttp.ClientSession, token: str | None) -> int:
        async with http.get(f"{lab.server.admin}/_facade/metrics",
                            headers={"Authorization": f"Bearer {token}"} if token else {}) as response:
            await response.read()
            return response.status
    async with aiohttp.ClientSession() as http:
        refused = [await scrape(http, token) for _ in range(10) for token in (None, ADMIN_TOKEN[:-1])]
        scraped = await scrape(http, ADMIN_TOKEN)
    return (f"public, {len(public)} spellings: {counted([a[9:12].decode() for a in public])}; "
            f"admin without the token: {counted(refused)}", f"operator's scrape with the token: {scraped}")


ATTACKS: list[tuple[str, Callable]] = [
    ("1 compressed bodies", compressed),
    ("2a 600 bodies of 1 MB", many_bodies),
    ("2b WebP 4096x4096", decode_bomb),
    ("3 CPU-heavy bodies", cpu_bodies),
    ("4a slow clients", slow_clients),
    ("4d 64 keep-alive connections, one address", one_address),
    ("4e 1,000 keep-alive connections, one address", functools.partial(one_address, count=1000)),
    ("5 client mistakes", client_mistakes),
    ("7 uploads", uploads),
    ("8 sessions", sessions),
    ("9 headers", headers),
    ("10 operator paths", operator_paths),
    ("11 slow guessing, owner on new addresses", attack_accounts.slow_guessing),
    ("12 20 addresses guessing, trusted owner", attack_accounts.distributed),
    ("13 strangers asking an owner's codes", attack_accounts.codes_spent),
    ("14 1,000 users behind one address", attack_accounts.one_carrier),
]


async def main(args: argparse.Namespace) -> None:
    chosen = lambda name: not args.only or any(name.startswith(o) for o in args.only)  # noqa: E731
    rows = []
    for payload in (gzip_bomb, webp_bomb, noise_png, cpu_requests):  # made now, not while the probe times
        payload()
    bench = Bench("sqlite")
    try:
        server = await bench.serve("logging.level=INFO", "server.trusted_proxies=[]", f"admin.token={ADMIN_TOKEN}",
                                   *args.sets)
        lab = Lab(bench, server)
        for name, attack in ATTACKS:
            if chosen(name):
                rows.append(await lab.measure(name, attack))
                print(" | ".join(map(str, rows[-1])), flush=True)
                await asyncio.sleep(0.5)
        if chosen("2a"):
            rows.append(await bystander(bench, lab, args.sets))
            print(" | ".join(map(str, rows[-1])), flush=True)
        if chosen("4b"):
            rows.append(await slow_clients_at_file_limit(bench, args.sets))
            print(" | ".join(map(str, rows[-1])), flush=True)
        if chosen("4c"):
            rows.append(await crowd_at_cap(bench, args.sets))
            print(" | ".join(map(str, rows[-1])), flush=True)
        if chosen("6"):
            rows.append(await secrets_in_logs(bench, args.sets))
            print(" | ".join(map(str, rows[-1])), flush=True)
        if chosen("15"):
            rows.append(await attack_accounts.shadow_leak(bench, args.sets, Lab, ADMIN_TOKEN))
            print(" | ".join(map(str, rows[-1])), flush=True)
    finally:
        bench.close()
    print()
    table(rows, ["attack", "attacker's answer", "probe p50 ms", "probe p99 ms", "probe max ms", "idle p99 ms", "probe",
                 "peak RSS MiB", "ERROR/traceback lines", "judged by"])


if __name__ == "__main__" and sys.argv[1:2] == ["--probe"]:
    print(json.dumps(asyncio.run(probing(sys.argv[2], int(sys.argv[3])))))
elif __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="attacks whose names start so (e.g. 1 2a 6)")
    parser.add_argument("--sets", nargs="*", default=[], help="config overrides for the servers under attack")
    asyncio.run(main(parser.parse_args()))
