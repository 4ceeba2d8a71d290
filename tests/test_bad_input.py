"""Bad input gets the dialect's own error envelope (or a plain 404/405 for an
unknown path or method), never a 500 or a traceback, and writes nothing."""
from __future__ import annotations

import json

import io
import logging

import pytest

from facade.core.service import UserCore
from tests.test_express import ALICE, BASE, JSON_UTF8, expect, failure

REGISTER = f"{BASE}/userRegister/v1"


@pytest.fixture
async def settled(client, rows):
    """A store with one user and one session, and its snapshot."""
    await client.post(REGISTER, data=ALICE)
    await client.post(f"{BASE}/login/v1", data={"loginInfo": "alice", "pwd": ALICE["pwd1"]})
    return rows.snapshot()


@pytest.mark.parametrize("body, content_type", [
    (b'{"userName": "bob", ', "application/json"),
    (b"\xff\xfe{}", "application/json"),
    (b'["userName", "bob"]', "application/json"),
    (b'"just a string"', "application/json"),
])
async def test_malformed_json(client, rows, settled, body, content_type):
    await expect(await client.post(REGISTER, data=body, headers={"Content-Type": content_type}), failure("请求参数错误"))
    assert rows.snapshot() == settled


@pytest.mark.parametrize("body, content_type", [
    (b"[" * 200_000 + b"]" * 200_000, "application/json"),
    (b'{"userName": "bob", "pwd1": "\\ud800", "pwd2": "\\ud800", "mobile": "13900139000"}', "application/json"),
    (b"userName=b\xffb&pwd1=x&pwd2=x&mobile=13900139000", "application/x-www-form-urlencoded"),
    (b"userName=bob", "application/x-www-form-urlencoded; charset=nope"),
    (b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--\r\n", "multipart/form-data"),
    # part headers aiohttp's parser refuses (found by fuzzing: they were answered as a server fault)
    (b"--x\r\nBad Header: y\r\n\r\nv\r\n--x--\r\n", "multipart/form-data; boundary=x"),
    (b'--x\r\nContent-Disposition: form-data; name="a\x01b"\r\n\r\nv\r\n--x--\r\n',
     "multipart/form-data; boundary=x"),
])
async def test_an_unreadable_body_is_the_clients_error_not_the_servers(client, rows, settled, caplog, body, content_type):
    with caplog.at_level(logging.ERROR):
        response = await client.post(REGISTER, data=body, headers={"Content-Type": content_type})
    await expect(response, failure("请求参数错误"))
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert rows.snapshot() == settled


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/octet-stream"])
async def test_a_body_of_an_unreadable_content_type(client, rows, settled, content_type):
    body = b"userName=bob&pwd1=x1&pwd2=x1&mobile=13900139000"
    await expect(await client.post(REGISTER, data=body, headers={"Content-Type": content_type}), failure("请求参数错误"))
    assert rows.snapshot() == settled


@pytest.mark.parametrize("content_type, body", [
    ("application/json", b'{"userName": "bob", "pad": "%s"}' % (b"b" * (1024 * 1024))),
    ("application/x-www-form-urlencoded", b"userName=bob&pad=" + b"b" * (1024 * 1024)),
])
async def test_a_body_over_the_size_limit(client, rows, settled, content_type, body):
    body = io.BytesIO(body)
    await expect(await client.post(REGISTER, data=body, headers={"Content-Type": content_type}), failure("请求参数错误"))
    assert rows.snapshot() == settled


async def test_the_size_limit_is_configurable(aiohttp_client, make_config, rows):
    from facade.app import init_app
    client = await aiohttp_client(init_app(make_config("server.max_body_bytes=2048")))
    response = await client.post(REGISTER, data={**ALICE, "pad": "x" * 3000})
    await expect(response, failure("请求参数错误"))
    assert rows("SELECT * FROM users") == []


async def test_a_value_that_is_not_a_boolean(client, rows, settled):
    response = await client.post(f"{BASE}/login/v1", data={"loginInfo": "alice", "pwd": ALICE["pwd1"],
                                                          "isLongLogin": "maybe"})
    await expect(response, failure("请求参数错误"))
    assert rows.snapshot() == settled


async def test_a_json_object_where_a_string_is_expected(client, rows, settled):
    response = await client.post(REGISTER, json={**ALICE, "userName": {"$ne": None}})
    await expect(response, failure("请求参数错误"))
    assert rows.snapshot() == settled


@pytest.mark.parametrize("method, path, status", [
    ("GET", f"{BASE}/nothing/v1", 404),
    ("POST", "/express/login/api/userRegister/v2", 404),
    ("DELETE", REGISTER, 405),
    ("PUT", f"{BASE}/login/v1", 405),
])
async def test_unknown_routes_answer_springs_json_in_the_dialects_space(client, rows, settled, method, path, status):
    response = await client.request(method, path)
    body = json.loads(await response.text())
    assert (response.status, response.headers["Content-Type"]) == (status, "application/json;charset=UTF-8")
    assert (body["status"], body["path"]) == (status, path)
    assert len(response.headers["X-Request-Id"]) == 32
    assert rows.snapshot() == settled


@pytest.mark.parametrize("method, path, status", [("GET", "/nothing", 404), ("GET", "/expressx/login", 404)])
async def test_outside_every_dialects_space_a_plain_404_stays(client, method, path, status):
    response = await client.request(method, path)
    assert (response.status, response.headers["Content-Type"]) == (status, "text/plain; charset=utf-8")
    assert len(response.headers["X-Request-Id"]) == 32


async def test_an_unexpected_error_is_logged_with_the_request_id_and_never_shown(
        client, rows, settled, monkeypatch, caplog):
    async def explode(self, **kwargs):
        raise RuntimeError("database password is hunter2")
    monkeypatch.setattr(UserCore, "check_available", explode)
    with caplog.at_level(logging.ERROR, logger="facade.requests"):
        response = await client.get(f"{BASE}/checkInfoIsCanUse/v1", params={"type": "userName", "info": "x"})
    await expect(response, failure("系统繁忙,请稍后再试"))
    request_id = response.headers["X-Request-Id"]
    [record] = caplog.records
    assert record.request_id == request_id and "hunter2" in str(record.exc_info[1])
    assert "hunter2" not in await response.text()
    assert rows.snapshot() == settled


async def test_content_type_is_the_legacy_one_on_failures_too(client):
    response = await client.post(REGISTER, data={})
    assert response.headers["Content-Type"] == JSON_UTF8


@pytest.mark.every_backend
@pytest.mark.parametrize("path, form", [
    ("/express/login/api/login/v1", {"loginInfo": "fz\x00", "pwd": "p"}),
    ("/i/login", {"username": "fz\x00", "password": "cA=="}),
    ("/log", {"userId": "fz\x00", "password": "p"}),
])
async def test_a_nul_character_is_bad_input_on_every_store(client, rows, caplog, path, form):
    """Found by fuzzing: PostgreSQL refuses NUL in text, which surfaced as an internal error."""
    before = rows.snapshot()
    response = await client.post(path, data=form)
    assert response.status in (200, 404) and "unexpected error" not in caplog.text
    assert rows.snapshot() == before
