"""Logs as an operator reads them from a real server process: the request id on every line a request
caused (the access line included), a proxy's id kept, JSON that parses, and never the query string."""
from __future__ import annotations

import json
import re

import aiohttp
import pytest

from tests.servers import Served

LOGIN = "/express/login/api/login/v1"
CHECK = "/express/login/api/checkInfoIsCanUse/v1"
SECRET = "query-secret-4711"


async def _session_of_requests(server: Served) -> dict[str, str]:
    """A failed login with a proxy's id, a read with a secret in its query and an unusable id; their ids."""
    await server.healthy()
    ids = {}
    async with aiohttp.ClientSession() as http:
        async with http.post(server.base + LOGIN, data={"loginInfo": "nobody", "pwd": "pw"},
                             headers={"X-Request-Id": "edge-7f3a9c21"}) as response:
            assert response.headers["X-Request-Id"] == "edge-7f3a9c21"
            ids["login"] = "edge-7f3a9c21"
        async with http.get(server.base + CHECK, params={"type": "userName", "info": SECRET},
                            headers={"X-Request-Id": "no good"}) as response:
            assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])
            ids["check"] = response.headers["X-Request-Id"]
    return ids


@pytest.mark.parametrize("form", ["text", "json"])
async def test_every_line_a_request_caused_carries_its_id(tmp_path, form):
    server = Served(f"storage.url=sqlite:///{tmp_path}/f.db", "security.bcrypt_rounds=4",
                    f"logging.format={form}", "logging.level=INFO")
    try:
        ids = await _session_of_requests(server)
    finally:
        assert server.stop() == 0
    assert SECRET not in server.log
    lines = server.log.splitlines()
    if form == "json":
        records = [json.loads(line) for line in lines]  # every line parses
        login = [r for r in records if r["request_id"] == ids["login"]]
        assert [(r["logger"], r["level"]) for r in login] == [("facade.requests", "INFO"), ("aiohttp.access", "INFO")]
        assert login[0]["message"] == "no_such_user ()"
        access = login[1]
        assert {k: access[k] for k in ("method", "path", "status", "dialect", "route", "outcome")} == {
            "method": "POST", "path": LOGIN, "status": 200, "dialect": "express", "route": "login",
            "outcome": "no_such_user"}
        [check] = [r for r in records if r["request_id"] == ids["check"]]
        assert (check["path"], check["route"], check["outcome"]) == (CHECK, "check-username", "ok")
        others = [r for r in records if r not in login and r != check]
        assert all(r["request_id"] == "-" or r.get("path") == "/_facade/health" for r in others)
        assert any(r["message"].startswith("serving express:") for r in others)
    else:
        login = [line for line in lines if f" [{ids['login']}] " in line]
        assert len(login) == 2 and " facade.requests " in login[0] and " aiohttp.access " in login[1]
        assert login[1].endswith(" express login no_such_user")
        [check] = [line for line in lines if f" [{ids['check']}] " in line]
        assert f"GET {CHECK} 200 " in check and check.endswith(" express check-username ok")


async def test_a_path_is_logged_as_sent_so_an_encoded_newline_cannot_forge_a_second_line(tmp_path):
    server = Served(f"storage.url=sqlite:///{tmp_path}/f.db", "logging.level=INFO")
    try:
        await server.healthy()
        async with aiohttp.ClientSession() as http:
            forged = "/x%0A2026-01-01 00:00:00,000 INFO facade.admin [-] forged"
            async with http.get(server.base + forged, headers={"X-Request-Id": "edge-newline-1"}) as response:
                assert response.status == 404
    finally:
        assert server.stop() == 0
    [line] = [line for line in server.log.splitlines() if "edge-newline-1" in line or "forged" in line]
    assert " GET /x%0A2026-01-01%2000:00:00,000%20INFO%20facade.admin%20%5B-%5D%20forged 404 " in line
