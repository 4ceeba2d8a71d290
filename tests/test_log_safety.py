"""Nothing secret reaches any log, at any level: a real `facade serve` at DEBUG,
a session through every dialect with recognisable secrets, requests aiohttp
cannot parse holding them, and then everything the process printed is searched."""
from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys

import aiohttp
import pytest

from tests.clients import dialects
from tests.servers import ROOT, Served

pytestmark = pytest.mark.every_backend
MARK = "Sekret9c7e"  # every password and key below holds it
JWT_KEY = f"jwt-key-{MARK}-" + "k" * 24
BARE_400 = (b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nServer: facade\r\n"
            b"Content-Length: 11\r\nDate: -\r\n\r\nBad Request")


def add_app(storage_url: str, cwd) -> dict[str, str]:
    printed = subprocess.run(
        [sys.executable, "-m", "facade", "apps", "add", "--config", str(ROOT / "config.yaml"),
         "--set", f"storage.url={storage_url}", "--set", "logging.level=DEBUG"],
        check=True, capture_output=True, text=True, cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    return json.loads(printed)


def raw(port: int, data: bytes) -> bytes:
    import socket
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(5)
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


async def a_session_in_every_dialect(base: str, app, tokens: set[str]) -> None:
    calls = dialects(app)
    async with aiohttp.ClientSession(base_url=base) as http:
        assert await calls["express"].ok(await calls["express"].register(http, "13800138001", f"pw1-{MARK}"))
        assert await calls["api2"].ok(await calls["api2"].register(http, "13800138002", f"pw2-{MARK}"))
        for name, call in calls.items():
            for phone, password in (("13800138001", f"pw1-{MARK}"), ("13800138002", f"pw2-{MARK}")):
                response = await call.login(http, phone, password)
                text = await response.text()
                assert call.succeeded in text, (name, text)
                tokens.update(re.findall(r"\b[0-9a-f]{32}\b|eyJ[\w-]+\.[\w-]+\.[\w-]+", text))
                tokens.update(c.value for c in response.cookies.values())
            if call.send_code:
                await (await call.send_code(http, "13900139000")).read()
        result = [t for t in tokens if len(t) == 32][-1]
        await (await http.delete("/log", params={"token": result})).read()


async def test_no_secret_is_printed_at_debug(storage_url, tmp_path, rows):
    pair = add_app(storage_url, tmp_path)
    from tests.clients import AppPair
    app = AppPair(pair["app_id"], pair["app_secret"])
    server = Served(f"storage.url={storage_url}", f"notify.outbox={tmp_path / 'outbox.jsonl'}",
                    "security.bcrypt_rounds=4", "logging.level=DEBUG", f"security.jwt_secret={JWT_KEY}", cwd=tmp_path)
    tokens: set[str] = set()
    try:
        await server.healthy()
        await a_session_in_every_dialect(server.base, app, tokens)
        long_line = f"GET /express/login/api/login/v1?pwd={MARK}{'a' * 9000} HTTP/1.1\r\nHost: x\r\n\r\n"
        long_header = f"GET / HTTP/1.1\r\nHost: x\r\nCookie: istatus_session={MARK}{'a' * 9000}\r\n\r\n"
        bad_method = f"G\x01T /i/login?password={MARK} HTTP/1.1\r\nHost: x\r\n\r\n"
        for request in (long_line, long_header, bad_method):
            answer = await asyncio.to_thread(raw, server.port, request.encode())
            assert re.sub(rb"Date: [^\r]+", b"Date: -", answer) == BARE_400
    finally:
        server.stop()
    stored = [r["password_hash"] for r in rows("SELECT password_hash FROM users")]
    stored += [v for r in rows("SELECT salt, code_hash FROM codes") for v in r.values()]
    stored += [r["token_hash"] for r in rows("SELECT token_hash FROM sessions")]
    assert len(tokens) >= 5 and len(stored) >= 8
    secrets = {MARK, JWT_KEY, app.app_secret, *tokens, *stored}
    assert "DEBUG" in server.log and "request" in server.log  # it did log, at DEBUG
    assert [s for s in secrets if s in server.log] == []
