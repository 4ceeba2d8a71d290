"""'facade upgrade-mapping' turns a mapping in the first mapping language into version 2 that
serves exactly what the first did: the shipped mappings as they were before version 2
(tests/fixtures/first_language) upgrade to what the shipped version 2 files declare."""
from __future__ import annotations

import dataclasses
import re
import shutil

import pytest

from facade.app import load_config_dialects
from facade.cli import main
from facade.config import load
from tests.conftest import CONFIG_FILE, FIXTURES, MAPPINGS, ROOT

FIRST = FIXTURES / "first_language"
NAMES = sorted(p.stem for p in FIRST.glob("*.yaml"))
UNCOMPARED = ("description", "setting_notes", "file", "validator", "schema", "about")  # words, or objects by identity


def declared(value):
    """What a loaded dialect serves, as plain data: everything but its words."""
    if dataclasses.is_dataclass(value):
        return {f.name: declared(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name not in UNCOMPARED}
    if isinstance(value, dict):
        return {k: declared(v) for k, v in value.items() if k != "description"}
    if isinstance(value, (list, tuple)):
        return [declared(v) for v in value]
    if isinstance(value, re.Pattern):
        return value.pattern
    if callable(value):
        return value.__name__
    return repr(value)


def dialect_in(folder, name):
    [dialect] = load_config_dialects(load(str(CONFIG_FILE), [f"mappings.dir={folder}", f"mappings.enabled=[{name}]"]))
    return dialect


@pytest.mark.parametrize("name", NAMES)
def test_a_first_language_mapping_upgrades_to_what_the_shipped_one_serves(tmp_path, capsys, name):
    shutil.copy(FIRST / f"{name}.yaml", tmp_path / f"{name}.yaml")
    assert main(["check", "--config", str(CONFIG_FILE), "--set", f"mappings.dir={tmp_path}"]) == 2
    assert "mapping language version 1, not 2: 'facade upgrade-mapping FILE' rewrites it" in capsys.readouterr().err
    assert main(["upgrade-mapping", "--write", str(tmp_path / f"{name}.yaml")]) == 0
    assert "rewritten as version 2" in capsys.readouterr().err
    upgraded = dialect_in(tmp_path, name)
    assert declared(upgraded) == declared(dialect_in(MAPPINGS, name))
    assert upgraded.description.startswith(f"{name}: ")  # the leading comment block, kept as data


def test_without_write_it_prints_and_changes_nothing(tmp_path, capsys):
    source = tmp_path / "express.yaml"
    shutil.copy(FIRST / "express.yaml", source)
    before = source.read_text(encoding="utf-8")
    assert main(["upgrade-mapping", str(source)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("version: 2\n") and "binds: identifier" in out
    assert "\noutcomes:\n  invalid_input:" in out  # no 'default' entry: its slots are the failure envelope's
    assert source.read_text(encoding="utf-8") == before


def test_a_version_2_file_is_left_alone_and_a_non_mapping_refused(tmp_path, capsys):
    shutil.copy(MAPPINGS / "express.yaml", tmp_path / "express.yaml")
    before = (tmp_path / "express.yaml").read_text(encoding="utf-8")
    assert main(["upgrade-mapping", "--write", str(tmp_path / "express.yaml")]) == 0
    assert capsys.readouterr().err == f"facade: {tmp_path / 'express.yaml'}: already version 2\n"
    assert (tmp_path / "express.yaml").read_text(encoding="utf-8") == before
    (tmp_path / "config.yaml").write_text("server: {port: 1}\n")
    assert main(["upgrade-mapping", str(tmp_path / "config.yaml")]) == 2
    assert capsys.readouterr().err == f"facade: {tmp_path / 'config.yaml'}: not a mapping (no 'routes')\n"


V1_LOGIN = """json: {separators: compact, ascii: false, content_type: application/json}
envelope:
  success: {status: 200, body: {code: 0, data: $data}}
  failure: {status: 200, slots: {msg: failed}, body: {code: 1, msg: $msg}}
outcomes:
  default: {msg: busy, status: 500}
routes:
  - name: login
    method: POST
    path: /x/login
    operation: login
    params:
      identifier: {name: user}
      password: {name: pw}
"""


def test_a_fallback_status_becomes_the_failure_envelopes_and_the_result_loads(tmp_path, capsys):
    (tmp_path / "x.yaml").write_text(V1_LOGIN)
    assert main(["upgrade-mapping", "--write", str(tmp_path / "x.yaml")]) == 0
    failure = dialect_in(tmp_path, "x").failure
    assert (failure.status, failure.slots) == (500, {"msg": "busy"})


@pytest.mark.parametrize("param, reason", [
    ("{name: t, transform: [base64, int]}", "transform ['base64', 'int']: version 2 reads the wire type first, then "
                                            "the transforms; write this one by hand"),
    ("{name: t, known: t}", "'known' is not in version 2; a flow value is compared with 'confirm' or kept by the "
                            "route's extensions.flow"),
])
def test_what_version_2_says_differently_is_left_to_a_person(tmp_path, capsys, param, reason):
    (tmp_path / "x.yaml").write_text(V1_LOGIN + f"      ttl: {param}\n")
    assert main(["upgrade-mapping", "--write", str(tmp_path / "x.yaml")]) == 2
    assert capsys.readouterr().err == f"facade: {tmp_path / 'x.yaml'}: cannot upgrade: parameter 't': {reason}\n"
    assert (tmp_path / "x.yaml").read_text() == V1_LOGIN + f"      ttl: {param}\n"


def test_the_readme_lists_what_a_mapping_may_name_as_the_core_declares_it(capsys):
    """'facade operations' reads the core: the README's copy and the core never drift apart."""
    assert main(["operations"]) == 0
    printed = capsys.readouterr().out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- facade operations: start -->\n", 1)[1].split("<!-- facade operations: end -->", 1)[0]
    assert shown == printed
    assert "### login\n\n- `identifier`: text, required\n" in printed and "`$session.expires_at`" in printed
