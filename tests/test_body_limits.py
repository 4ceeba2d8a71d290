"""What one body may cost is bounded before the costly work, and going beyond a
bound is the dialect's own error: compressed bodies, too many fields or parts,
a body that takes too long to arrive, more body bytes in flight than allowed,
and multipart bodies broken in ways aiohttp's reader raises for."""
from __future__ import annotations

import asyncio
import gzip
import logging

from facade.app import init_app
from tests.test_express import BASE, expect, failure

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
