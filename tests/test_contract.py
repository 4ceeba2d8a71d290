"""The contract kit: each dialect's cases pass in-process and against a second server process with
its own database, cover every route and outcome the mapping declares, and name the case, the field
and both values when a server answers otherwise."""
from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from facade.app import init_app
from facade.contract.cases import cases_file, load
from facade.contract.coverage import missing
from facade.contract.plugins import OutboxCodes
from facade.contract.runner import Target, run
from facade.core.apps import Apps
from facade.keys import DIALECTS, STORE
from tests.conftest import MAPPINGS, ROOT
from tests.servers import Served

WITH_CASES = sorted(p.stem for p in (MAPPINGS / "cases").glob("*.yaml"))


@pytest.mark.parametrize("dialect", WITH_CASES)
def test_the_cases_cover_every_route_and_outcome_the_mapping_declares(dialect, make_config):
    [declared] = [d for d in init_app(make_config())[DIALECTS] if d.name == dialect]
    assert missing(load(cases_file(MAPPINGS, dialect)), declared) == []


@pytest.mark.every_backend
@pytest.mark.parametrize("dialect", WITH_CASES)
async def test_every_case_passes_in_process(dialect, aiohttp_server, make_config, outbox_path):
    app = init_app(make_config())
    server = await aiohttp_server(app)
    pair = await Apps(app[STORE]).add("contract")
    target = Target(str(server.make_url("")).rstrip("/"), OutboxCodes(outbox_path),
                    {"id": pair.app_id, "secret": pair.app_secret})
    results = await run(load(cases_file(MAPPINGS, dialect)), target)
    assert [(r.case, [d.line() for d in r.differences], r.skipped) for r in results if not r.passed] == []


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
