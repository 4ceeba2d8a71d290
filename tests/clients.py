"""How each shipped dialect's client makes the calls every account needs (send
a code, register, log in), in one place for the tests and the bench scripts.

``http`` is anything with aiohttp's ``get``/``post`` taking a path: the test
client, or a ``ClientSession(base_url=...)``. Phones are the account's
identifier everywhere; user names, where a dialect wants one, derive from it.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def last_code(outbox: Path, phone: str) -> str:
    """The newest code the outbox file holds for ``phone``."""
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    return [m["code"] for m in lines if m["to"] == phone][-1]


@dataclass(frozen=True)
class AppPair:
    app_id: str
    app_secret: str

    def headers(self) -> dict[str, str]:
        return {"app_id": self.app_id, "app_secret": self.app_secret}


Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Dialect:
    """One dialect's calls, and how to tell its answers apart."""
    name: str
    login: Call            # (http, phone, password, headers) -> response
    register: Call         # (http, phone, password, code, headers) -> response; code None where none is asked
    send_code: Call | None  # (http, phone, headers) -> response; None: this dialect registers without one
    succeeded: str         # a fragment every success answer holds and no failure does
    shows_code: bool = False  # register sends and reads back its own code (the flow shows it)

    async def ok(self, response: Any) -> bool:
        return self.succeeded in await response.text()


async def _result_register(http: Any, phone: str, pw: str, code: str | None = None,
                           h: dict[str, str] | None = None) -> Any:
    """result's three steps, linked by the flow cookie the client keeps: the code it is shown, then
    the code typed back, then the account."""
    h = h or {}
    sent = await http.get("/register", params={"userId": phone}, headers=h)
    shown = json.loads(await sent.text())["message"]
    await http.post("/register", data={"code_v": shown, "code": shown}, headers=h)
    return await http.post("/register", headers=h, data={
        "register": "1", "password": pw, "gender": "1", "nickname": "n", "userId": phone})


async def register(dialect: "Dialect", http: Any, phone: str, password: str, outbox: Path) -> Any:
    """Registers through ``dialect`` the way its clients do, with a code where it asks for one."""
    code = None
    if dialect.send_code is not None and not dialect.shows_code:
        assert await dialect.ok(await dialect.send_code(http, phone))
        code = last_code(outbox, phone)
    return await dialect.register(http, phone, password, code)


def _cloud(app: AppPair | None, headers: dict[str, str]) -> dict[str, str]:
    return {**headers, **(app.headers() if app else {})}


def dialects(app: AppPair | None = None) -> dict[str, Dialect]:
    """Every shipped dialect's calls; ``app`` is the pair cloud_user's calls carry."""
    return {
        "express": Dialect(
            "express",
            lambda http, phone, pw, h={}: http.post("/express/login/api/login/v1",
                                                    data={"loginInfo": phone, "pwd": pw}, headers=h),
            lambda http, phone, pw, code=None, h={}: http.post(
                "/express/login/api/userRegister/v1", headers=h,
                data={"userName": f"e{phone}", "pwd1": pw, "pwd2": pw, "mobile": phone}),
            None, '"code":0'),
        "istatus": Dialect(
            "istatus",
            lambda http, phone, pw, h={}: http.post("/i/login", data={"username": phone, "password": b64(pw)},
                                                    headers=h),
            lambda http, phone, pw, code=None, h={}: http.post(
                "/i/register", data={"username": phone, "password": b64(pw), "code": b64(code or "")}, headers=h),
            lambda http, phone, h={}: http.post("/code/send", data={"username": phone}, headers=h),
            '"status_code":"200"'),
        "cloud_user": Dialect(
            "cloud_user",
            lambda http, phone, pw, h={}: http.get("/api/cloud_user/login/psw", params={"phone": phone, "password": pw},
                                                   headers=_cloud(app, h)),
            lambda http, phone, pw, code=None, h={}: http.post(
                "/api/cloud_user/register", data={"phone": phone, "password": pw, "code": code or ""},
                headers=_cloud(app, h)),
            lambda http, phone, h={}: http.get("/api/cloud_user/code/get", params={"phone": phone, "type": 0},
                                               headers=_cloud(app, h)),
            '"code":1'),
        "api2": Dialect(
            "api2",
            lambda http, phone, pw, h={}: http.post("/api2/users/userLogin/dev-1", data={"phone": phone, "upwd": pw},
                                                    headers={**h, "devInfo": "{}"}),
            lambda http, phone, pw, code=None, h={}: http.post(
                "/api2/users/userReg/dev-1", data={"uname": f"a{phone}", "upwd": pw, "phone": phone},
                headers={**h, "devInfo": "{}"}),
            None, '"statu":"ok"'),
        "result": Dialect(
            "result",
            lambda http, phone, pw, h={}: http.post("/log", data={"userId": phone, "password": pw}, headers=h),
            _result_register,
            lambda http, phone, h={}: http.get("/register", params={"userId": phone}, headers=h),
            '"result": "0000"', shows_code=True),
    }
