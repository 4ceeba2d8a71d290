"""A stand-in for the legacy express server (Spring Boot, hahafreeasair666/express), run as a process of
its own: ``python tests/legacy_express.py --port P``. It answers the login API with the real server's
bytes (Jackson's compact UTF-8 JSON as application/json;charset=UTF-8, failures as HTTP 200 with code
5000), keeps users in memory with their passwords in plain text as the real server did (MySQL
``user_info.pwd``), and numbers them from 1000 up as an auto-increment column would.

Faults on demand, for tests of what the facade does when the legacy server misbehaves:
``POST /_legacy/faults`` with a JSON object (each key optional; an empty object clears them):
  delay:   seconds to wait before answering anything under /express/
  garbage: true: answer every request under /express/ with bytes that are no JSON
  texts:   {"old": "new"}: every answer says "new" where the real server said "old"
``GET /_legacy/seen`` counts the requests served under /express/ by path, ``GET /_legacy/last`` shows the
last one as it arrived (method, path and query, headers, body); ``POST /_legacy/users`` adds a
user directly (JSON {userName, mobile, pwd}) as rows already in the legacy database; ``POST /_legacy/reset``
forgets every user, token, fault and count, as a fresh process would.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import time
from collections import Counter
from typing import Any

from aiohttp import web

JSON = "application/json;charset=UTF-8"
BASE = "/express/login/api"
MOBILE = re.compile(r"1[3-9][0-9]{9}")
DEFAULT_AVATAR = ("https://timgsa.baidu.com/timg?image&quality=80&size=b9999_10000&sec=1522751654036"
                  "&di=7af9f2e8404b3bb6834e5f4dbd349e19&imgtype=0&src=http%3A%2F%2Fim5.tongbu.com%2FArticleImage"
                  "%2F2fb7c966-1.jpg%3Fw%3D480%2C343")


class Legacy:
    def __init__(self) -> None:
        self.users: list[dict[str, Any]] = []
        self.tokens: dict[str, int] = {}
        self.faults: dict[str, Any] = {}
        self.seen: Counter[str] = Counter()
        self.last: dict[str, Any] = {}

    def add(self, name: str, mobile: str, pwd: str) -> dict[str, Any]:
        user = {"id": 1000 + len(self.users), "userName": name, "mobile": mobile, "pwd": pwd}
        self.users.append(user)
        return user

    def by(self, column: str, value: str) -> dict[str, Any] | None:
        # MySQL's default collation compares case-insensitively
        return next((u for u in self.users if u[column].casefold() == value.casefold()), None)


def answer(request: web.Request, body: Any, status: int = 200) -> web.Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    for old, new in request.app[LEGACY].faults.get("texts", {}).items():
        text = text.replace(old, new)
    return web.Response(status=status, body=text.encode("utf-8"), headers={"Content-Type": JSON})


def ok(request: web.Request, data: Any = None, msg: str = "", user_msg: str = "") -> web.Response:
    return answer(request, {"code": 0, "msg": msg, "userMsg": user_msg, "data": data})


def error(request: web.Request, user_msg: str) -> web.Response:
    return answer(request, {"code": 5000, "msg": "error", "userMsg": user_msg, "data": None})


async def params(request: web.Request) -> dict[str, str]:
    """Spring's plain arguments: the query string, then a urlencoded or multipart form."""
    found = dict(request.query)
    if request.body_exists and request.content_type in ("application/x-www-form-urlencoded",
                                                          "multipart/form-data"):
        found.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return {k: v.strip() for k, v in found.items()}


async def register(request: web.Request) -> web.Response:
    legacy, given = request.app[LEGACY], await params(request)
    fields = [given.get(k, "") for k in ("userName", "pwd1", "pwd2", "mobile")]
    if not all(fields):
        return error(request, "请填完所有信息")
    name, pwd1, pwd2, mobile = fields
    if not MOBILE.fullmatch(mobile):
        return error(request, "请填写正确的手机号")
    if legacy.by("userName", name):
        return error(request, "改用户名已被使用")
    if legacy.by("mobile", mobile):
        return error(request, "手机号已被使用")
    if pwd1 != pwd2:
        return error(request, "两次密码输入不一致")
    legacy.add(name, mobile, pwd1)
    return ok(request)


async def login(request: web.Request) -> web.Response:
    legacy, given = request.app[LEGACY], await params(request)
    info, pwd = given.get("loginInfo", ""), given.get("pwd", "")
    if not info or not pwd:
        return error(request, "请填完所有信息")
    user = next((u for u in (legacy.by("mobile", info), legacy.by("userName", info)) if u and u["pwd"] == pwd), None)
    if user is None:
        return error(request, "登录失败用户名密码不匹配")
    token = secrets.token_hex(16)
    legacy.tokens[token] = user["id"]
    # a java.util.HashMap's iteration order for these five keys
    return ok(request, {"authorization": token, "isCertified": False, "avatar": DEFAULT_AVATAR,
                        "userName": user["userName"], "userId": user["id"]})


async def logout(request: web.Request) -> web.Response:
    token = request.headers.get("Authorization", "").strip()
    if not token:
        return error(request, "退出登录失败,用户未登录")
    request.app[LEGACY].tokens.pop(token, None)
    return ok(request, msg="success", user_msg="退出登录成功")


async def check(request: web.Request) -> web.Response:
    legacy, given = request.app[LEGACY], await params(request)
    info = given.get("info", "")
    if given.get("type") == "userName":
        if info and legacy.by("userName", info):
            return error(request, "很遗憾该用户名已被使用")
        return ok(request, msg="success", user_msg="恭喜该用户名可以使用")
    if info and legacy.by("mobile", info):
        return error(request, "很遗憾该手机号已被使用")
    return ok(request, msg="success", user_msg="恭喜该手机号可以使用")


def spring_error(request: web.Request, status: int) -> web.Response:
    body: dict[str, Any] = {"timestamp": int(time.time() * 1000), "status": status}
    if status == 404:
        body.update(error="Not Found", message="No message available")
    else:
        body.update(error="Method Not Allowed", exception="org.springframework.web.HttpRequestMethodNotSupportedException",
                    message=f"Request method '{request.method}' not supported")
    body["path"] = request.path
    return answer(request, body, status)


ROUTES = {f"{BASE}/userRegister/v1": ({"POST"}, register), f"{BASE}/login/v1": ({"GET", "POST"}, login),
          f"{BASE}/loginOut/v1": ({"GET"}, logout), f"{BASE}/checkInfoIsCanUse/v1": ({"GET", "POST"}, check),
          f"{BASE}/checkUserNameOrMobileIsCanUse/v1": ({"GET", "POST"}, check)}


async def express(request: web.Request) -> web.Response:
    legacy = request.app[LEGACY]
    legacy.seen[request.path] += 1
    legacy.last = {"method": request.method, "path_qs": request.path_qs, "headers": list(request.headers.items()),
                   "body": (await request.read()).decode("utf-8", errors="replace")}
    if legacy.faults.get("delay"):
        await asyncio.sleep(legacy.faults["delay"])
    if legacy.faults.get("garbage"):
        return web.Response(body=b"<html>502 Bad Gateway</html>\x00\xff", headers={"Content-Type": JSON})
    methods, handler = ROUTES.get(request.path, (set(), None))
    if handler is None:
        return spring_error(request, 404)
    if request.method not in methods:
        return spring_error(request, 405)
    return await handler(request)


async def set_faults(request: web.Request) -> web.Response:
    request.app[LEGACY].faults = await request.json()
    return web.json_response(request.app[LEGACY].faults)


async def seen(request: web.Request) -> web.Response:
    return web.json_response(dict(request.app[LEGACY].seen))


async def reset(request: web.Request) -> web.Response:
    request.app[LEGACY].__init__()  # the app's state is fixed once it runs: renewed in place
    return web.json_response({})


async def last(request: web.Request) -> web.Response:
    return web.json_response(request.app[LEGACY].last)


async def add_user(request: web.Request) -> web.Response:
    given = await request.json()
    return web.json_response(request.app[LEGACY].add(given["userName"], given["mobile"], given["pwd"]))


LEGACY = web.AppKey("legacy", Legacy)


def make_app() -> web.Application:
    app = web.Application()
    app[LEGACY] = Legacy()
    app.router.add_post("/_legacy/faults", set_faults)
    app.router.add_get("/_legacy/seen", seen)
    app.router.add_post("/_legacy/users", add_user)
    app.router.add_get("/_legacy/last", last)
    app.router.add_post("/_legacy/reset", reset)
    app.router.add_route("*", "/express/{tail:.*}", express)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    web.run_app(make_app(), host="127.0.0.1", port=parser.parse_args().port, print=None, access_log=None)
