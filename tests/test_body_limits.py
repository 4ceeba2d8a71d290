"""What one body may cost is bounded before the costly work, and going beyond a
bound is the dialect's own error: compressed bodies, too many fields or parts,
a body that takes too long to arrive, more body bytes in flight than allowed,
and multipart bodies broken in ways aiohttp's reader raises for."""
from __future__ import annotations

import asyncio
import gzip
import json
import logging

import aiohttp

from facade.app import init_app
from facade.keys import BODIES
from tests.test_express import BASE, expect, failure, register

LOGIN = f"{BASE}/login/v1"
BAD_INPUT = failure("请求参数错误")
NO_SUCH_USER = failure("登录失败用户名密码不匹配")
FORM = "application/x-www-form-urlencoded"
BUSY = failure("系统繁忙,请稍后再试")  # express's answer for anything it names no answer for


async def test_a_compressed_body_is_refused_unread(client, rows):
    before = rows.snapshot(but=("throttles",))
    body = gzip.compress(b"loginInfo=alice&pwd=secret-1")
    for encoding in ("gzip", "deflate", "br", "x-unknown"):
        response = await client.post(LOGIN, data=body, headers={"Content-Type": FORM, "Content-Encoding": encoding})
        await expect(response, BAD_INPUT)
    # the same form sent plainly is read, and names no one
    await expect(await client.post(LOGIN, data=b"loginInfo=alice&pwd=secret-1", headers={"Content-Type": FORM}),
                 NO_SUCH_USER)
    assert rows.snapshot(but=("throttles",)) == before


async def test_a_compressed_body_to_an_unknown_path_is_answered_without_inflating_it(client):
    bomb = gzip.compress(bytes(64 * 1024 * 1024))  # 64 KiB that would inflate to 64 MiB
    response = await client.post("/no/such/path", data=bomb, headers={"Content-Encoding": "gzip"})
    assert (response.status, await response.text()) == (404, "404: Not Found")


async def test_fields_beyond_the_bound_are_bad_input(aiohttp_client, make_config):
    client = await aiohttp_client(init_app(make_config("server.max_parameters=20")))
    padded = "&".join(f"p{i}=1" for i in range(18))
    await expect(await client.post(LOGIN, data=f"loginInfo=alice&pwd=x&{padded}", headers={"Content-Type": FORM}),
                 NO_SUCH_USER)
    await expect(await client.post(LOGIN, data=f"loginInfo=alice&pwd=x&{padded}&p=1", headers={"Content-Type": FORM}),
                 BAD_INPUT)


def multipart(fields: int, boundary: str = "b0") -> bytes:
    parts = [("loginInfo", "alice"), ("pwd", "x"), *((f"p{i}", "1") for i in range(fields - 2))]
    return "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                   for name, value in parts).encode() + f"--{boundary}--\r\n".encode()


async def test_parts_beyond_the_bound_are_bad_input(aiohttp_client, make_config):
    client = await aiohttp_client(init_app(make_config("server.max_parts=8")))
    kind = {"Content-Type": "multipart/form-data; boundary=b0"}
    await expect(await client.post(LOGIN, data=multipart(8), headers=kind), NO_SUCH_USER)
    await expect(await client.post(LOGIN, data=multipart(9), headers=kind), BAD_INPUT)


async def test_multipart_bodies_broken_by_the_client_are_bad_input_and_no_error_is_logged(client, caplog):
    kind = {"Content-Type": "multipart/form-data; boundary=b0"}
    cut_in_a_header = b'--b0\r\nContent-Disposition: form-data; na'
    line_too_long = b'--b0\r\nContent-Disposition: form-data; name="loginInfo"\r\nX-Pad: ' + b"a" * 70000 + b"\r\n\r\n"
    no_end = b'--b0\r\nContent-Disposition: form-data; name="loginInfo"\r\n\r\nalice'
    with caplog.at_level(logging.INFO):
        for body in (cut_in_a_header, line_too_long, no_end):
            await expect(await client.post(LOGIN, data=body, headers=kind), BAD_INPUT)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


async def test_a_body_that_takes_too_long_to_arrive_is_bad_input(aiohttp_client, make_config):
    client = await aiohttp_client(init_app(make_config("server.read_timeout=0.5")))

    async def trickle():
        yield b"loginInfo=alice"
        await asyncio.sleep(1.5)
        yield b"&pwd=x"
    await expect(await client.post(LOGIN, data=trickle(), headers={"Content-Type": FORM}), BAD_INPUT)


async def test_bodies_beyond_the_bytes_in_flight_are_refused_unread(aiohttp_client, make_config):
    client = await aiohttp_client(init_app(make_config("server.max_body_bytes=2048", "server.max_bytes_in_flight=2100")))
    form = {"Content-Type": FORM}
    small = b"loginInfo=alice&pwd=x&pad=" + b"a" * 100

    async def slow():
        yield b"loginInfo=alice&pwd=x"
        await asyncio.sleep(0.5)
    # a body of unknown length holds its largest allowed size (2048) while it arrives: no room for another
    held = asyncio.ensure_future(client.post(LOGIN, data=slow(), headers=form))
    await asyncio.sleep(0.1)
    await expect(await client.post(LOGIN, data=small, headers=form), BUSY)
    await expect(await held, NO_SUCH_USER)
    await expect(await client.post(LOGIN, data=small, headers=form), NO_SUCH_USER)


LARGE_FORM = b"loginInfo=alice&pwd=x&pad=" + b"a" * (100 * 1024)


def held_back(body: bytes, go_on: asyncio.Event):
    """A body sent in two pieces, the second once ``go_on`` is set."""
    async def pieces():
        yield body[:1000]
        await go_on.wait()
        yield body[1000:]
    return pieces()


async def test_a_clients_large_bodies_are_read_one_at_a_time(aiohttp_client, make_config):
    client = await aiohttp_client(init_app(make_config()))
    form = {"Content-Type": FORM}
    go_on = asyncio.Event()
    first = asyncio.ensure_future(client.post(LOGIN, data=held_back(LARGE_FORM, go_on), headers=form))
    await asyncio.sleep(0.1)
    second = asyncio.ensure_future(client.post(LOGIN, data=LARGE_FORM, headers=form))
    await asyncio.sleep(0.3)
    assert not second.done()  # all sent, waiting unread for the first to be read
    # the same client's small body, and another client's large one, are read at once
    await expect(await client.post(LOGIN, data=b"loginInfo=alice&pwd=x", headers=form), NO_SUCH_USER)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))) as other:
        async with other.post(client.make_url(LOGIN), data=LARGE_FORM, headers=form) as response:
            await expect(response, NO_SUCH_USER)
    assert not second.done()
    go_on.set()
    await expect(await first, NO_SUCH_USER)
    await expect(await second, NO_SUCH_USER)
    assert client.app[BODIES]._lanes == {}  # a client's turns are forgotten once no body holds or waits for one


async def test_a_slow_large_body_holds_its_clients_turn_no_longer_than_the_deadline(aiohttp_client, make_config, rows):
    client = await aiohttp_client(init_app(make_config("server.read_timeout=0.5")))
    form = {"Content-Type": FORM}
    before = rows.snapshot(but=("throttles",))
    go_on = asyncio.Event()
    first = asyncio.ensure_future(client.post(LOGIN, data=held_back(LARGE_FORM, go_on), headers=form))
    await asyncio.sleep(0.1)
    started = asyncio.get_running_loop().time()
    second = asyncio.ensure_future(client.post(LOGIN, data=LARGE_FORM, headers=form))
    await expect(await first, BAD_INPUT)  # out of time: its turn passes on
    await expect(await second, NO_SUCH_USER)
    assert asyncio.get_running_loop().time() - started < 1.0
    go_on.set()
    assert rows.snapshot(but=("throttles",)) == before
    assert client.app[BODIES]._lanes == {}


async def test_a_large_body_read_in_its_turn_is_read_whole(client):
    """Read as it comes, a body in many pieces gives the same fields as one sent at once: the password
    after 100 KiB of padding, split across pieces, still opens the account."""
    await register(client)
    body = b"pad=" + b"a" * (100 * 1024) + b"&loginInfo=alice&pwd=s3cret-pw"

    async def dribbled():
        for start in range(0, len(body), 7001):
            yield body[start:start + 7001]
            await asyncio.sleep(0)
    response = await client.post(LOGIN, data=dribbled(), headers={"Content-Type": FORM})
    assert json.loads(await response.text())["code"] == 0
    response = await client.post(LOGIN, data=body.replace(b"s3cret", b"secret"), headers={"Content-Type": FORM})
    await expect(response, failure("登录失败用户名密码不匹配"))
