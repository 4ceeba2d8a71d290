"""A cloud_user client for tests: every call carries the app's credentials."""
from __future__ import annotations

import json
from typing import Any

from facade.app import init_app
from facade.keys import CORE
from tests.conftest import outbox

PHONE = "13800138000"
PREFIX = "/api/cloud_user"
JSON_UTF8 = "application/json;charset=UTF-8"


def ok(data: Any = None) -> str:
    return '{"code":1,"msg":"数据返回成功！","data":%s}' % json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def fail(msg: str) -> str:
    return '{"code":0,"msg":"%s","data":null}' % msg


class Cloud:
    def __init__(self, client, app, outbox_path) -> None:
        self.client, self.app, self.outbox_path = client, app, outbox_path

    @classmethod
    async def start(cls, aiohttp_client, config, outbox_path, app=None) -> "Cloud":
        """A client with a new app, or with ``app`` where one exists already."""
        client = await aiohttp_client(init_app(config))
        return cls(client, app or await client.server.app[CORE].apps.add("tests"), outbox_path)

    async def call(self, method: str, route: str, token: str | None = None, **params: Any):
        """Credentials as headers, parameters in the query (GET) or a form (POST), as the document shows."""
        headers = {"app_id": self.app.app_id, "app_secret": self.app.app_secret}
        if token is not None:
            headers["cloud_token"] = token
        where = "params" if method == "GET" else "data"
        return await self.client.request(method, PREFIX + route, headers=headers, **{where: params})

    async def text(self, method: str, route: str, token: str | None = None, **params: Any) -> str:
        response = await self.call(method, route, token, **params)
        assert (response.status, response.headers["Content-Type"]) == (200, JSON_UTF8)
        return await response.text()

    def last_code(self) -> str:
        return outbox(self.outbox_path)[-1]["code"]

    async def register(self, phone: str = PHONE, password: str = "pw", **profile: Any) -> str:
        assert await self.text("GET", "/code/get", phone=phone, type=0) == ok()
        return await self.text("POST", "/register", phone=phone, code=self.last_code(), password=password, **profile)

    async def login(self, phone: str = PHONE, password: str = "pw") -> dict[str, Any]:
        body = json.loads(await self.text("GET", "/login/psw", phone=phone, password=password))
        assert body["code"] == 1, body
        return body["data"]
