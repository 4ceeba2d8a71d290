"""Hand-written servers for bench/engine.py: the same reads on the same SQLite file, through the same
driver, answering the same bytes as the facade. All answer express checkInfoIsCanUse (one indexed
read); the aiohttp ones also answer cloud_user userinfo/get (the app's secret, the JWT, its session,
the user: three reads).

- ``aiohttp`` and ``fastapi`` write an access line and an X-Request-Id per request, as the facade does;
- ``aiohttp-minimal`` is the handler a user would write first: no access log, no request id.

    python bench/baselines.py aiohttp|aiohttp-minimal|fastapi --db FILE --port PORT [--jwt-key KEY]
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import time
import unicodedata
import uuid

import aiosqlite
import jwt

QUERY = "SELECT * FROM users WHERE username_key = ?"
FREE = '{"code":0,"msg":"success","userMsg":"恭喜该用户名可以使用","data":null}'.encode()
TAKEN = '{"code":5000,"msg":"error","userMsg":"改用户名已被使用","data":null}'.encode()
CONTENT_TYPE = "application/json;charset=UTF-8"


async def answer(db: aiosqlite.Connection, info: str) -> bytes:
    async with db.execute(QUERY, (unicodedata.normalize("NFKC", info).casefold(),)) as rows:
        return TAKEN if await rows.fetchone() else FREE


def headers() -> dict[str, str]:
    return {"Content-Type": CONTENT_TYPE, "X-Request-Id": uuid.uuid4().hex, "X-Content-Type-Options": "nosniff"}


MINIMAL = {"Content-Type": CONTENT_TYPE, "X-Content-Type-Options": "nosniff"}


def minimal_headers() -> dict[str, str]:
    return MINIMAL


CLOUD_REFUSED = '{"code":0,"msg":"系统繁忙，请稍后再试","data":null}'.encode()


async def one(db: aiosqlite.Connection, sql: str, *args: object) -> tuple | None:
    async with db.execute(sql, args) as rows:
        return await rows.fetchone()


async def userinfo(db: aiosqlite.Connection, key: str, app_id: str, secret: str, token: str) -> bytes:
    """cloud_user's userinfo/get: the app and its secret, the token's session, its holder's profile."""
    app = await one(db, "SELECT secret_hash FROM apps WHERE app_id = ?", app_id)
    if app is None or not hmac.compare_digest(app[0], hashlib.sha256(secret.encode()).hexdigest()):
        return CLOUD_REFUSED
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["aud", "exp", "sid"],
                                                                      "verify_aud": False})
    except jwt.PyJWTError:
        return CLOUD_REFUSED
    session = await one(db, "SELECT user_id, app_id FROM sessions WHERE id = ? AND revoked_at IS NULL "
                            "AND expires_at > ?", claims["sid"], time.time())
    if session is None or session[1] != app_id:
        return CLOUD_REFUSED
    user = await one(db, "SELECT public_id, nickname, gender, birthday, contact_email, email, extra FROM users "
                         "WHERE id = ?", session[0])
    if user is None or user[0] != claims["aud"]:
        return CLOUD_REFUSED
    data = {"userId": user[0], "nickname": user[1] or "", "sex": {1: 0, 2: 1}.get(user[2], 0),
            "birthday": user[3] or 0, "email": user[4] or user[5] or "", "extra": user[6] or ""}
    return json.dumps({"code": 1, "msg": "数据返回成功！", "data": data}, ensure_ascii=False,
                      separators=(",", ":")).encode()


def aiohttp_server(db_path: str, port: int, jwt_key: str, logged: bool = True) -> None:
    from aiohttp import web
    headers_ = headers if logged else minimal_headers

    async def check(request: web.Request) -> web.Response:
        return web.Response(body=await answer(request.app["db"], request.query.get("info", "")), headers=headers_())

    async def profile(request: web.Request) -> web.Response:
        given = request.headers
        body = await userinfo(request.app["db"], jwt_key, given.get("app_id", ""), given.get("app_secret", ""),
                              given.get("cloud_token", ""))
        return web.Response(body=body, headers=headers_())

    async def database(app: web.Application):
        app["db"] = await aiosqlite.connect(db_path)
        yield
        await app["db"].close()
    app = web.Application()
    app.cleanup_ctx.append(database)
    app.router.add_get("/express/login/api/checkInfoIsCanUse/v1", check)
    app.router.add_get("/api/cloud_user/userinfo/get", profile)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=logging.getLogger("aiohttp.access")
                if logged else None)


def fastapi_server(db_path: str, port: int, jwt_key: str) -> None:
    from contextlib import asynccontextmanager

    import uvicorn
    from fastapi import FastAPI, Response

    @asynccontextmanager
    async def database(app: FastAPI):
        app.state.db = await aiosqlite.connect(db_path)
        yield
        await app.state.db.close()
    app = FastAPI(lifespan=database)

    @app.get("/express/login/api/checkInfoIsCanUse/v1")
    async def check(info: str = "", type: str = "") -> Response:
        return Response(content=await answer(app.state.db, info), headers=headers())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="info", access_log=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["aiohttp", "aiohttp-minimal", "fastapi"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--jwt-key", default="")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    servers = {"aiohttp": aiohttp_server, "aiohttp-minimal": lambda *a: aiohttp_server(*a, logged=False),
               "fastapi": fastapi_server}
    servers[args.kind](args.db, args.port, args.jwt_key)
