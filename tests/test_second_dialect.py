"""A copy of express.yaml under another prefix and name is a second dialect,
served without any Python change, over the same users."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import aiohttp
import pytest

from facade.app import init_app
from tests.conftest import ROOT
from tests.test_express import ALICE, OK


@pytest.fixture
def two_dialects(tmp_path):
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    shutil.copy(ROOT / "mappings" / "express.yaml", mappings)
    text = (ROOT / "mappings" / "express.yaml").read_text(encoding="utf-8")
    (mappings / "courier.yaml").write_text(text.replace("/express/", "/courier/"), encoding="utf-8")
    return mappings


async def test_both_copies_serve_the_same_users(aiohttp_client, make_config, two_dialects, rows):
    client = await aiohttp_client(init_app(make_config(mappings=two_dialects)))
    response = await client.post("/courier/login/api/userRegister/v1", data=ALICE)
    assert await response.text() == OK
    response = await client.post("/express/login/api/login/v1", data={"loginInfo": "alice", "pwd": ALICE["pwd1"]})
    token = json.loads(await response.text())["data"]["authorization"]
    response = await client.get("/courier/login/api/loginOut/v1", headers={"Authorization": token})
    assert await response.text() == '{"code":0,"msg":"success","userMsg":"退出登录成功","data":null}'
    assert [r["origin"] for r in rows("SELECT origin FROM sessions")] == ["express"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_for_health(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            assert server.poll() is None, server.stderr.read()
            try:
                async with http.get(f"{base}/_facade/health") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise AssertionError("facade serve did not become healthy")


async def test_facade_serve_runs_the_copy_as_a_second_dialect(tmp_path, two_dialects):
    port = free_port()
    database = tmp_path / "new" / "folder" / "f.db"
    server = subprocess.Popen(
        [sys.executable, "-m", "facade", "serve", "--config", str(ROOT / "config.yaml"), "--port", str(port),
         "--set", f"mappings.dir={two_dialects}", "--set", f"storage.url=sqlite:///{database}",
         "--set", "security.bcrypt_rounds=4"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_for_health(base, server)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/_facade/health") as response:
                assert (response.headers["Content-Type"], await response.text()) == (
                    "application/json; charset=utf-8", '{"status":"ok"}')
            async with http.post(f"{base}/express/login/api/userRegister/v1", data=ALICE) as response:
                assert await response.text() == OK
            async with http.post(f"{base}/courier/login/api/login/v1",
                                 params={"loginInfo": "13800138000", "pwd": ALICE["pwd1"]}) as response:
                body = json.loads(await response.text())
        assert body["code"] == 0 and body["data"]["userName"] == "alice"
        assert database.is_file()
    finally:
        server.terminate()
        _, log = server.communicate(timeout=10)
    assert "POST /courier/login/api/login/v1 200" in log  # the access log works...
    assert ALICE["pwd1"] not in log and body["data"]["authorization"] not in log  # ...and keeps secrets out
