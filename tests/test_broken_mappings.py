"""Every broken mapping in tests/fixtures/bad_mappings stops both 'facade check'
and 'facade serve' with 'file: route: reason'; each file's first line says
the route and reason it must produce."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from facade.app import load_config_dialects
from facade.cli import about_text, main
from facade.config import load
from tests.conftest import FIXTURES, MAPPINGS, CONFIG_FILE, ROOT

BROKEN = sorted((FIXTURES / "bad_mappings").glob("*.yaml"))


def expected_error(file: Path) -> str:
    first = file.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{file.name} must say what it expects"
    return first.removeprefix("# expect: ")


def run(command: str, mappings: Path, tmp_path: Path, capsys) -> tuple[int, str]:
    code = main([command, "--config", str(CONFIG_FILE),
                 "--set", f"mappings.dir={mappings}", "--set", f"storage.url=sqlite:///{tmp_path / 'x.db'}",
                 "--set", "server.port=0"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("command", ["check", "serve"])
@pytest.mark.parametrize("broken", BROKEN, ids=[f.stem for f in BROKEN])
def test_a_broken_mapping_stops_start_up_naming_file_route_and_reason(tmp_path, capsys, broken, command):
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    shutil.copy(broken, mappings / broken.name)
    code, err = run(command, mappings, tmp_path, capsys)
    assert code != 0
    assert err.startswith(f"facade: {mappings / broken.name}: {expected_error(broken)}"), err
    assert not (tmp_path / "x.db").exists()


def test_two_dialects_may_not_claim_one_route(tmp_path, capsys):
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    for name in ("express", "copy"):
        shutil.copy(MAPPINGS / "express.yaml", mappings / f"{name}.yaml")
    code, err = run("check", mappings, tmp_path, capsys)
    assert code != 0
    assert err.startswith(f"facade: {mappings / 'express.yaml'}: POST /express/login/api/userRegister/v1 (register): "
                          f"POST /express/login/api/userRegister/v1 is already served by {mappings / 'copy.yaml'}"), err


def test_the_shipped_mappings_pass_check_and_it_lists_what_it_would_serve(capsys):
    assert main(["check", "--config", str(CONFIG_FILE)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert {line.split("\t")[0] for line in lines} == {f.stem for f in (MAPPINGS).glob("*.yaml")}
    assert [line for line in lines if line.startswith("express\t")] == [
        "express\tPOST /express/login/api/userRegister/v1 -> register",
        "express\tPOST /express/login/api/login/v1 -> login",
        "express\tGET /express/login/api/login/v1 -> login",
        "express\tGET /express/login/api/loginOut/v1 -> logout",
        *(f"express\t{method} /express/login/api/{path}/v1{when} -> check_available"
          for when in (" [type=userName]", "") for path in ("checkInfoIsCanUse", "checkUserNameOrMobileIsCanUse")
          for method in ("GET", "POST")),
    ]


def test_every_fixture_says_what_it_expects():
    assert len(BROKEN) >= 15
    for file in BROKEN:
        expected_error(file)


def test_the_readme_shows_what_the_mappings_say_about_each_dialect():
    """The README's section is 'facade about' output: a mapping's about: and the README never drift apart."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- facade about: start -->\n", 1)[1].split("<!-- facade about: end -->", 1)[0]
    assert shown == about_text(load_config_dialects(load(str(CONFIG_FILE))))
    assert all(d.about.get("real") for d in load_config_dialects(load(str(CONFIG_FILE))))
