"""A copy of express.yaml under another prefix and name is a second dialect,
served without any Python change, over the same users."""
from __future__ import annotations

import json
import shutil

import aiohttp
import pytest

from facade.app import init_app
from tests.conftest import MAPPINGS
from tests.servers import Served
from tests.test_express import ALICE, OK


@pytest.fixture
def two_dialects(tmp_path):
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    shutil.copy(MAPPINGS / "express.yaml", mappings)
    text = (MAPPINGS / "express.yaml").read_text(encoding="utf-8")
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


async def test_facade_serve_runs_the_copy_as_a_second_dialect(tmp_path, two_dialects):
    database = tmp_path / "new" / "folder" / "f.db"
    server = Served(f"mappings.dir={two_dialects}", f"storage.url=sqlite:///{database}", "security.bcrypt_rounds=4",
                    cwd=tmp_path)
    try:
        await server.healthy()
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.base}/_facade/health") as response:
                assert (response.headers["Content-Type"], await response.text()) == (
                    "application/json; charset=utf-8", '{"status":"ok"}')
            async with http.post(f"{server.base}/express/login/api/userRegister/v1", data=ALICE) as response:
                assert await response.text() == OK
            async with http.post(f"{server.base}/courier/login/api/login/v1",
                                 params={"loginInfo": "13800138000", "pwd": ALICE["pwd1"]}) as response:
                body = json.loads(await response.text())
        assert body["code"] == 0 and body["data"]["userName"] == "alice"
        assert database.is_file()
    finally:
        server.stop()
    assert "POST /courier/login/api/login/v1 200" in server.log  # the access log works...
    assert ALICE["pwd1"] not in server.log and body["data"]["authorization"] not in server.log  # ...keeps secrets out
