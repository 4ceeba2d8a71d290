"""Start-up as an operator meets it, through the real command: `facade init`, the lines serve prints,
one `facade: …` line and a non-zero exit for each way it cannot start, and environment overrides."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import aiohttp
import pytest

from tests.conftest import CONFIG_FILE, ROOT
from tests.servers import Served, free_port

CHECK_ALICE = "/express/login/api/checkInfoIsCanUse/v1?type=userName&info=alice"
ALICE_FREE = '{"code":0,"msg":"success","userMsg":"恭喜该用户名可以使用","data":null}'


def facade(*argv: str, cwd=None, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    if argv[:1] == ("serve",):  # an admin listener of its own: another server on this machine may hold 8081
        argv = (*argv, "--set", f"admin.listen=127.0.0.1:{free_port()}")
    return subprocess.run([sys.executable, "-m", "facade", *argv], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def only_line(result: subprocess.CompletedProcess) -> str:
    """What a failed start printed: exactly one line, no traceback."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


async def test_init_writes_a_folder_that_serves_every_dialect(tmp_path):
    made = facade("init", "demo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    demo = tmp_path / "demo"
    assert sorted(p.name for p in (demo / "mappings").glob("*.yaml")) == [
        "api2.yaml", "cloud_user.yaml", "express.yaml", "istatus.yaml", "result.yaml"]
    assert (demo / "config.yaml").read_text() == CONFIG_FILE.read_text()
    server = Served("security.bcrypt_rounds=4", cwd=demo, config=None)
    try:
        await server.healthy()
        async with aiohttp.ClientSession() as http, http.get(server.base + CHECK_ALICE) as response:
            assert await response.text() == ALICE_FREE
    finally:
        assert server.stop() == 0
    lines = server.log.splitlines()
    started = [line for line in lines if " facade [-] serving " in line]
    assert [line.split(" serving ")[1].split(":")[0] for line in started] == [
        "api2", "cloud_user", "express", "istatus", "result"]
    store = f"store sqlite:///{demo / 'var' / 'facade.db'} (created now: there was no database)"
    assert f"5 routes under /express/ at {server.base}, {store}, 1 process" in started[2]
    assert lines[-1].endswith(f"INFO facade [-] stopped serving at {server.base} (exit 0)")
    assert (demo / "var" / "facade.db").is_file()


def test_init_never_overwrites_a_config(tmp_path):
    (tmp_path / "config.yaml").write_text("# mine\n")
    result = facade("init", str(tmp_path))
    assert (result.returncode, only_line(result)) == (2, f"facade: init: {tmp_path / 'config.yaml'} exists; "
                                                         "not overwriting it")
    assert (tmp_path / "config.yaml").read_text() == "# mine\n" and not (tmp_path / "mappings").exists()


def test_a_port_in_use_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = facade("serve", "--port", str(port), "--set", f"storage.url=sqlite:///{tmp_path}/f.db", cwd=tmp_path,
                        env={"FACADE_LOGGING__LEVEL": "WARNING"})
    assert (result.returncode, only_line(result)) == (2, f"facade: cannot listen on 127.0.0.1:{port}: "
                                                         "Address already in use")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_unwritable_storage_path_is_one_line(tmp_path, workers):
    (tmp_path / "plain-file").write_text("")
    url = f"sqlite:///{tmp_path}/plain-file/facade.db"
    result = facade("serve", "--port", str(free_port()), "--workers", workers, "--set", f"storage.url={url}",
                    cwd=tmp_path)
    assert (result.returncode, only_line(result)) == (
        2, f"facade: storage.url: cannot open {url}: File exists: {tmp_path}/plain-file")


def test_an_unreachable_database_is_one_line_and_keeps_its_password(tmp_path):
    port = free_port()  # nothing listens there
    url = f"postgresql://facade:s3cret-pw@127.0.0.1:{port}/facade"
    result = facade("serve", "--port", str(free_port()), "--workers", "2", cwd=tmp_path,
                    env={"FACADE_STORAGE__URL": url, "FACADE_STORAGE__TIMEOUT": "2"})
    line = only_line(result)
    assert result.returncode == 2
    assert line.startswith(f"facade: storage.url: cannot open postgresql://facade@127.0.0.1:{port}/facade: ")
    assert "s3cret-pw" not in result.stderr + result.stdout


def test_a_bad_set_value_names_the_set(tmp_path):
    result = facade("check", "--config", str(CONFIG_FILE), "--set", "server.port=eighty")
    assert (result.returncode, only_line(result)) == (
        2, "facade: --set server.port=eighty: server.port: 'eighty' is not of type 'integer'")


def test_an_environment_variable_overrides_the_file_and_set_overrides_it():
    env = {"FACADE_MAPPINGS__ENABLED": "[express, api2]"}
    listed = facade("check", "--config", str(CONFIG_FILE), env=env)
    assert {line.split("\t")[0] for line in listed.stdout.splitlines()} == {"express", "api2"}
    listed = facade("check", "--config", str(CONFIG_FILE), "--set", "mappings.enabled=[istatus]", env=env)
    assert {line.split("\t")[0] for line in listed.stdout.splitlines()} == {"istatus"}


def test_a_bad_environment_value_is_blamed_on_its_variable_and_never_echoed():
    secret = "short-secret-never-shown"
    result = facade("check", "--config", str(CONFIG_FILE), env={"FACADE_SECURITY__JWT_SECRET": secret})
    assert (result.returncode, only_line(result)) == (
        2, "facade: $FACADE_SECURITY__JWT_SECRET: security.jwt_secret: refused (minLength: 32)")
    result = facade("check", "--config", str(CONFIG_FILE), env={"FACADE_SECURITY__JWT_SECRETS": "x"})
    assert result.returncode == 2 and only_line(result).startswith(
        "facade: $FACADE_SECURITY__JWT_SECRETS: unknown key 'jwt_secrets' (known: ")


def test_a_secret_that_looks_like_yaml_is_taken_as_written():
    from facade import config as configuration
    secret = "#1234567890: not yaml, [a secret]"
    config = configuration.load(str(CONFIG_FILE), environ={"FACADE_SECURITY__JWT_SECRET": secret})
    assert config["security.jwt_secret"] == secret


def test_apps_and_import_say_which_database_they_used(tmp_path):
    created = facade("apps", "list", cwd=tmp_path)
    assert created.returncode == 0 and created.stdout == "[]\n"
    assert created.stderr == (f"facade: store sqlite:///{tmp_path / 'var' / 'facade.db'} "
                              "(created now: there was no database)\n")
    again = facade("apps", "list", cwd=tmp_path)
    assert again.stderr == f"facade: store sqlite:///{tmp_path / 'var' / 'facade.db'}\n"
