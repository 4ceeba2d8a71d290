"""The contract kit: each dialect's cases pass in-process and against a second server process with
its own database, cover every route and outcome the mapping declares, and name the case, the field
and both values when a server answers otherwise."""
from __future__ import annotations

import base64
import json
import shlex
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import replace

import aiohttp
import pytest
from aiohttp import web

from facade.app import init_app
from facade.contract.cases import CaseError, cases_file, load
from facade.contract.coverage import ANY_ROUTE, missing
from facade.contract.plugins import OutboxCodes, SinkCodes
from facade.contract.runner import Target, run
from facade.core.apps import Apps
from facade.keys import DIALECTS, OUTCOME, ROUTE, STORE
from tests.conftest import CONFIG_FILE, MAPPINGS, ROOT
from tests.servers import Served, free_port

WITH_CASES = sorted(p.stem for p in (MAPPINGS / "cases").glob("*.yaml"))


@pytest.mark.parametrize("dialect", WITH_CASES)
def test_the_cases_cover_every_route_and_outcome_the_mapping_declares(dialect, make_config):
    [declared] = [d for d in init_app(make_config())[DIALECTS] if d.name == dialect]
    assert missing(load(cases_file(MAPPINGS, dialect)), declared) == []


@pytest.mark.every_backend
@pytest.mark.parametrize("dialect", WITH_CASES)
async def test_every_case_passes_in_process(dialect, aiohttp_server, make_config, rows):
    """SMS codes go to the kit's sink, which refuses one number per case; codes expire by an UPDATE; and
    in-process the app says which route and outcome gave each answer: every step's claim is checked."""
    async with SinkCodes("127.0.0.1", 0) as sink:
        app = init_app(make_config("notify.sms=webhook", f"notify.webhook.url={sink.url}"))
        answers = _answers_recorded(app)
        server = await aiohttp_server(app)
        pair = await Apps(app[STORE]).add("contract")
        target = Target(str(server.make_url("")).rstrip("/"), sink, {"id": pair.app_id, "secret": pair.app_secret},
                        answered=lambda: answers[-1], expiry=RowsExpiry(rows))
        results = await run(load(cases_file(MAPPINGS, dialect)), target)
    assert [(r.case, [d.line() for d in r.differences], r.skipped) for r in results if not r.passed] == []


class RowsExpiry:
    """What an operator's --expire-codes command does to a facade's database."""
    def __init__(self, rows) -> None:
        self.rows = rows

    async def expire(self, target: str) -> None:
        self.rows("UPDATE codes SET created_at = created_at - 7200, expires_at = expires_at - 7200 WHERE target = ?",
                  target)


def _answers_recorded(app) -> list[tuple[str, str]]:
    """(route, outcome) of each answer, as the access line has them; "*" where no route was chosen."""
    answers: list[tuple[str, str]] = []

    async def record(request, response) -> None:
        answers.append((request[ROUTE].name if ROUTE in request else ANY_ROUTE, request.get(OUTCOME, "-")))
    app.on_response_prepare.append(record)
    return answers


def contract(*argv: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "facade", "contract", *argv], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})


def _served_from(folder, *sets: str) -> Served:
    return Served("security.bcrypt_rounds=4", *sets, cwd=folder, config=folder / "config.yaml")


async def test_the_command_passes_against_a_second_server_and_names_what_differs(tmp_path):
    for folder in ("same", "altered"):
        subprocess.run([sys.executable, "-m", "facade", "init", folder], cwd=tmp_path, check=True,
                       capture_output=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    mapping = tmp_path / "altered" / "mappings" / "express.yaml"
    text = mapping.read_text(encoding="utf-8")
    assert "missing_parameter: {userMsg: 请填完所有信息}" in text and "\n    status: 404\n" in text
    mapping.write_text(text.replace("missing_parameter: {userMsg: 请填完所有信息}", "missing_parameter: {userMsg: 请填完}")
                       .replace("\n    status: 404\n", "\n    status: 400\n"), encoding="utf-8")
    same, altered = _served_from(tmp_path / "same"), _served_from(tmp_path / "altered")
    try:
        await same.healthy()
        await altered.healthy()
        passed = contract("express", "--target", same.base, "--junit", str(tmp_path / "j.xml"), cwd=tmp_path / "same")
        failed = contract("express", "--target", altered.base, cwd=tmp_path / "same")
    finally:
        same.stop()
        altered.stop()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.endswith(f"express against {same.base}: 5 passed, 0 failed, 0 skipped\n")
    junit = ET.parse(tmp_path / "j.xml").getroot()
    assert (junit.get("tests"), junit.get("failures")) == ("5", "0")
    assert failed.returncode == 1
    lines = failed.stdout.splitlines()
    assert "FAIL  express: registration refuses what the real server refused  (" in "\n".join(lines)
    assert "      a missing field: body /userMsg: expected '请填完所有信息', got '请填完'" in lines
    assert "      an unknown path: status: expected 404, got 400" in lines
    assert lines[-1] == f"express against {altered.base}: 3 passed, 2 failed, 0 skipped"


def test_a_case_file_that_cannot_run_is_one_line(tmp_path):
    (tmp_path / "bad.yaml").write_text("version: 1\ndialect: express\ncases: [{name: x, steps: []}]\n")
    result = contract("express", "--target", "http://127.0.0.1:9", "--cases", str(tmp_path / "bad.yaml"),
                      cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, f"facade: contract: {tmp_path / 'bad.yaml'}: cases/0/steps: "
                                                     "[] should be non-empty\n")


def _echo_app() -> web.Application:
    """A server that answers what it was sent: each multipart part, and the cookies it got back."""
    async def parts(request: web.Request) -> web.Response:
        got = {}
        async for part in await request.multipart():
            data = await part.read()
            got[part.name] = ({"filename": part.filename, "type": part.headers.get("Content-Type"),
                               "base64": base64.b64encode(data).decode()} if part.filename else data.decode())
        return web.json_response(got)

    async def cookie(request: web.Request) -> web.Response:
        response = web.json_response({"cookies": dict(request.cookies)})
        response.set_cookie("s", "1")
        return response
    app = web.Application()
    app.router.add_post("/parts", parts)
    app.router.add_get("/cookie", cookie)
    return app


def _suite(tmp_path, cases: str):
    (tmp_path / "c.yaml").write_text("version: 1\ndialect: echo\ncases:\n" + textwrap.indent(cases, "  "),
                                     encoding="utf-8")
    return load(tmp_path / "c.yaml")


async def test_a_step_sends_files_and_fields_as_multipart(aiohttp_server, tmp_path):
    server = await aiohttp_server(_echo_app())
    suite = _suite(tmp_path, """
- name: upload
  steps:
    - route: upload
      outcome: ok
      request:
        method: POST
        path: /parts
        multipart:
          img: {filename: me.png, content_type: image/png, base64: iVBORw0KGgo=}
          note: {filename: a.txt, text: 你好}
          field: plain
      expect:
        status: 200
        body:
          img: {filename: me.png, type: image/png, base64: iVBORw0KGgo=}
          note: {filename: a.txt, type: application/octet-stream, base64: 5L2g5aW9}
          field: plain
""")
    [result] = await run(suite, Target(str(server.make_url("")).rstrip("/")))
    assert (result.passed, result.differences) == (True, [])


@pytest.mark.parametrize("keeps, second", [("true", {"s": "1"}), ("false", {})])
async def test_a_case_may_be_a_client_that_keeps_no_cookies(aiohttp_server, tmp_path, keeps, second):
    server = await aiohttp_server(_echo_app())
    step = "{route: r, outcome: ok, request: {method: GET, path: /cookie}, expect: {status: 200, body: {cookies: %s}}}"
    suite = _suite(tmp_path, f"- {{name: c, cookies: {keeps}, steps: [{step % '{}'}, {step % json.dumps(second)}]}}\n")
    [result] = await run(suite, Target(str(server.make_url("")).rstrip("/")))
    assert (result.passed, result.differences) == (True, [])


async def test_in_process_a_step_that_claims_an_outcome_it_never_met_fails(aiohttp_server, make_config, tmp_path):
    app = init_app(make_config())
    answers = _answers_recorded(app)
    server = await aiohttp_server(app)
    suite = _suite(tmp_path, """
- name: claims
  steps:
    - {name: right, route: "*", outcome: no_route, request: {method: GET, path: /express/nope}, expect: {status: 404}}
    - {name: wrong, route: "*", outcome: wrong_method, request: {method: GET, path: /express/nope}, expect: {status: 404}}
""")
    [result] = await run(suite, Target(str(server.make_url("")).rstrip("/"), answered=lambda: answers[-1]))
    assert [d.line() for d in result.differences] == [
        "wrong: route and outcome: expected '* wrong_method', got '* no_route'"]


def test_every_shipped_dialect_has_cases():
    assert WITH_CASES == sorted(p.stem for p in MAPPINGS.glob("*.yaml"))


async def test_the_sink_keeps_each_code_and_refuses_the_numbers_it_hands_out():
    async with SinkCodes("127.0.0.1", 0) as sink, aiohttp.ClientSession() as http:
        refused = sink.undeliverable()
        answers = []
        for to in ("13800138000", refused):
            async with http.post(sink.url, json={"channel": "sms", "to": to, "code": "123456"}) as response:
                answers.append(response.status)
        async with http.post(sink.url, data="not json") as response:
            answers.append(response.status)
        assert answers == [200, 503, 400]
        assert await sink.code("13800138000") == "123456"


def test_a_case_that_expires_codes_must_say_it_needs_to(tmp_path):
    case = ("- name: x\n  steps: [{route: r, outcome: ok, request: {method: GET, path: /}, expect: {status: 200},"
            " expire_codes: $fresh.phone}]\n")
    with pytest.raises(CaseError, match="case 'x': a step expires codes, so the case needs: \\[expire_codes\\]"):
        _suite(tmp_path, case)


async def test_a_case_the_target_cannot_serve_is_skipped_saying_what_it_lacks(aiohttp_server, tmp_path):
    server = await aiohttp_server(_echo_app())
    suite = _suite(tmp_path, "- {name: x, needs: [app, undeliverable], steps: [{route: r, outcome: ok, "
                             "request: {method: GET, path: /cookie}, expect: {status: 200}}]}\n")
    [result] = await run(suite, Target(str(server.make_url("")).rstrip("/"), OutboxCodes(tmp_path / "o.jsonl")))
    assert result.skipped == ("needs an app id and secret (--app or --provision) and a number the target cannot "
                              "deliver a code to (--codes sink:HOST:PORT)")


async def test_a_step_repeats_counting_and_a_long_value_need_not_be_written_out(aiohttp_server, tmp_path):
    server = await aiohttp_server(_echo_app())
    suite = _suite(tmp_path, """
- name: repeated
  steps:
    - route: upload
      outcome: ok
      repeat: 3
      request: {method: POST, path: /parts, multipart: {n: $index, long: {$text: ab, times: 3}}}
      expect: {status: 200, body: {n: "1", long: ababab}}
""")
    [result] = await run(suite, Target(str(server.make_url("")).rstrip("/")))
    assert [d.line() for d in result.differences] == ["step 1: body /n: expected '1', got '2'"]  # the second sending


def test_only_an_entry_no_step_can_meet_may_be_called_unreachable(make_config, tmp_path):
    [declared] = [d for d in init_app(make_config())[DIALECTS] if d.name == "cloud_user"]
    shipped = load(cases_file(MAPPINGS, "cloud_user"))
    assert set(shipped.unreachable) == {"user_exists", "email_taken"}
    assert missing(replace(shipped, unreachable={}), declared) == [
        "no step proves email_taken on any route", "no step proves user_exists on any route"]
    claimed = {**shipped.unreachable, "wrong_password": "it is not", "token_invalid": "an entry nobody has"}
    assert missing(replace(shipped, unreachable=claimed), declared) == [
        "unreachable names token_invalid, which is no dialect-level entry a route may answer",
        "unreachable names wrong_password, which a step proves"]


async def test_the_command_proves_cloud_user_against_a_server_with_the_sink_and_an_expiry_command(tmp_path):
    """The plug-ins as an operator gives them: a provisioning command, the kit's SMS sink as the
    server's gateway, and a command that makes codes expire by an UPDATE on its database."""
    sink_port, database = free_port(), tmp_path / "f.db"
    (tmp_path / "expire.py").write_text(
        "import sqlite3, sys\nwith sqlite3.connect(sys.argv[1]) as db:\n    db.execute('UPDATE codes SET "
        "created_at = created_at - 7200, expires_at = expires_at - 7200 WHERE target = ?', (sys.argv[2],))\n")
    sets = (f"storage.url=sqlite:///{database}", f"notify.outbox={tmp_path / 'outbox.jsonl'}")
    served = Served("security.bcrypt_rounds=4", *sets, "notify.sms=webhook",
                    f"notify.webhook.url=http://127.0.0.1:{sink_port}/")
    try:
        await served.healthy()
        provision = shlex.join([sys.executable, "-m", "facade", "apps", "add", "--config", str(CONFIG_FILE),
                                *(f"--set={item}" for item in sets)])
        result = contract("cloud_user", "--target", served.base, "--codes", f"sink:127.0.0.1:{sink_port}",
                          "--provision", provision,
                          "--expire-codes", f"{sys.executable} {tmp_path / 'expire.py'} {database}", cwd=tmp_path)
    finally:
        served.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith(f"cloud_user against {served.base}: 11 passed, 0 failed, 0 skipped\n")
