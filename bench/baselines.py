"""Hand-written servers for bench/engine.py: the same read on the same SQLite file, through the same
driver, answering the same bytes and headers as the facade's express checkInfoIsCanUse, each with an
access log line per request as the facade writes.

    python bench/baselines.py aiohttp|fastapi --db FILE --port PORT
"""
from __future__ import annotations

import argparse
import logging
import unicodedata
import uuid

import aiosqlite

QUERY = "SELECT * FROM users WHERE username_key = ?"
FREE = '{"code":0,"msg":"success","userMsg":"恭喜该用户名可以使用","data":null}'.encode()
TAKEN = '{"code":5000,"msg":"error","userMsg":"改用户名已被使用","data":null}'.encode()
CONTENT_TYPE = "application/json;charset=UTF-8"


async def answer(db: aiosqlite.Connection, info: str) -> bytes:
    async with db.execute(QUERY, (unicodedata.normalize("NFKC", info).casefold(),)) as rows:
        return TAKEN if await rows.fetchone() else FREE


def headers() -> dict[str, str]:
    return {"Content-Type": CONTENT_TYPE, "X-Request-Id": uuid.uuid4().hex, "X-Content-Type-Options": "nosniff"}


def aiohttp_server(db_path: str, port: int) -> None:
    from aiohttp import web

    async def check(request: web.Request) -> web.Response:
        return web.Response(body=await answer(request.app["db"], request.query.get("info", "")), headers=headers())

    async def database(app: web.Application):
        app["db"] = await aiosqlite.connect(db_path)
        yield
        await app["db"].close()
    app = web.Application()
    app.cleanup_ctx.append(database)
    app.router.add_get("/express/login/api/checkInfoIsCanUse/v1", check)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


def fastapi_server(db_path: str, port: int) -> None:
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
    parser.add_argument("kind", choices=["aiohttp", "fastapi"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    {"aiohttp": aiohttp_server, "fastapi": fastapi_server}[args.kind](args.db, args.port)
