"""The command line and config.yaml: overrides, FACADE_CONFIG, relative paths, errors."""
from __future__ import annotations

import asyncio
import json
import os
import re
import threading
from pathlib import Path

import bcrypt
import pytest

from facade import config as configuration
from facade.app import init_app
from facade.cli import main
from facade.core.passwords import PasswordHasher
from tests.conftest import MAPPINGS, CONFIG_FILE, ROOT


def test_the_default_bcrypt_cost_stays_12():
    """Tests lower it through config; the shipped defaults and a real hash must not."""
    assert configuration.DEFAULTS["security"]["bcrypt_rounds"] == 12
    assert configuration.load(str(CONFIG_FILE))["security.bcrypt_rounds"] == 12
    hashed = asyncio.run(PasswordHasher().hash("pw"))
    assert hashed.startswith("sha256-bcrypt:$2b$12$")


def test_relative_paths_resolve_against_the_config_files_folder(tmp_path, monkeypatch):
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "facade.yaml").write_text("storage: {url: 'sqlite:///db/f.db'}\nmappings: {dir: maps}\n")
    monkeypatch.chdir(tmp_path)
    config = configuration.load(str(folder / "facade.yaml"))
    assert config["storage.url"] == f"sqlite:///{folder / 'db' / 'f.db'}"
    assert config.path("mappings.dir") == folder / "maps"
    assert config.path("notify.outbox") == folder / "var" / "outbox.jsonl"


def test_set_overrides_any_key_with_typed_values_and_resolves_against_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = configuration.load(str(CONFIG_FILE), [
        "server.port=9001", "mappings.enabled=[express]", "mappings.dir=elsewhere",
        "storage.url=sqlite:////abs/x.db"])
    assert config["server.port"] == 9001
    assert config["mappings.enabled"] == ["express"]
    assert config.path("mappings.dir") == tmp_path / "elsewhere"
    assert config["storage.url"] == "sqlite:////abs/x.db"


def test_facade_config_names_the_file_when_config_is_absent(tmp_path, monkeypatch):
    (tmp_path / "c.yaml").write_text("server: {port: 9123}\n")
    monkeypatch.setenv("FACADE_CONFIG", str(tmp_path / "c.yaml"))
    assert configuration.load()["server.port"] == 9123


@pytest.mark.parametrize("overrides, message", [
    (["server.prot=1"], "--set server.prot=1: unknown key 'prot' (known: host, port, max_body_bytes, workers, "
                        "trusted_proxies, read_timeout, max_connections, max_connections_per_client, "
                        "max_bytes_in_flight, max_large_bodies_per_client, max_parameters, max_parts, "
                        "max_image_pixels)"),
    (["server.port=high"], "server.port: 'high' is not of type 'integer'"),
    (["security.bcrypt_rounds=3"], "security.bcrypt_rounds: 3 is less than the minimum of 4"),
    (["storage.url=postgres"], "storage.url: 'postgres' does not match"),
    (["port"], "--set port: expected KEY=VALUE"),
    (["codes.ttl=601"], "codes.ttl: 601 is greater than the maximum of 600"),
    (["security.session_ttl=7200", "security.session_ttl_max=3600"],
     "security.session_ttl is longer than security.session_ttl_max"),
])
def test_a_bad_key_or_value_is_refused_with_a_clear_message(overrides, message):
    with pytest.raises(configuration.ConfigError) as error:
        configuration.load(str(CONFIG_FILE), overrides)
    assert message in str(error.value)


def test_an_unknown_key_in_the_file_names_the_file(tmp_path, capsys):
    (tmp_path / "c.yaml").write_text("sever: {port: 1}\n")
    assert main(["check", "--config", str(tmp_path / "c.yaml")]) == 2
    assert capsys.readouterr().err.startswith(f"facade: {tmp_path / 'c.yaml'}: unknown key 'sever'")


def test_a_missing_config_file_is_an_error(tmp_path, capsys):
    assert main(["check", "--config", str(tmp_path / "none.yaml")]) == 2
    assert "no such config file" in capsys.readouterr().err


def test_an_enabled_dialect_without_a_file_stops_start_up(capsys):
    assert main(["check", "--config", str(CONFIG_FILE), "--set", "mappings.enabled=[expres]"]) == 2
    assert capsys.readouterr().err == f"facade: {MAPPINGS / 'expres.yaml'}: -: named in config (mappings.enabled or dialects) but no such file\n"


def test_an_unknown_storage_scheme_stops_serve(tmp_path, capsys):
    code = main(["serve", "--config", str(CONFIG_FILE), "--port", "0",
                 "--set", "storage.url=mysql://db/x"])
    assert code == 2
    assert "storage.url: unsupported scheme 'mysql'" in capsys.readouterr().err


async def test_hashing_runs_off_the_event_loop_within_its_bound(monkeypatch):
    threads, running, peak = set(), [0], [0]
    real = bcrypt.hashpw
    lock = threading.Lock()

    def spy(password, salt):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        threads.add(threading.get_ident())
        try:
            return real(password, salt)
        finally:
            with lock:
                running[0] -= 1
    monkeypatch.setattr(bcrypt, "hashpw", spy)
    hasher = PasswordHasher(rounds=6, max_concurrent=2)
    await asyncio.gather(*(hasher.hash(f"pw{i}") for i in range(8)))
    assert threading.get_ident() not in threads
    assert peak[0] <= 2


async def test_hashing_threads_yield_the_cpu_to_the_event_loop(monkeypatch):
    """Under a login storm the loop must win the core: hashing threads run at a higher niceness."""
    seen = []
    real = bcrypt.hashpw

    def spy(password, salt):
        seen.append(nice_of_this_thread())
        return real(password, salt)
    monkeypatch.setattr(bcrypt, "hashpw", spy)
    await PasswordHasher(rounds=4).hash("pw")
    assert seen == [nice_of_this_thread() + 10]


def nice_of_this_thread() -> int:
    stat = Path(f"/proc/self/task/{threading.get_native_id()}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])


async def test_long_passwords_are_not_truncated():
    hasher = PasswordHasher(rounds=4)
    hashed = await hasher.hash("x" * 100 + "a")
    assert await hasher.verify("x" * 100 + "a", hashed)
    assert not await hasher.verify("x" * 100 + "b", hashed)


def test_python_dash_m_facade_works_like_the_script(tmp_path):
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "facade", "check", "--config", str(CONFIG_FILE)],
                            capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert "express\tPOST /express/login/api/userRegister/v1 -> register" in result.stdout.splitlines()


async def test_facade_apps_add_list_and_remove(aiohttp_client, make_config, db_path, rows, capsys):
    def cli(*argv: str):  # in a thread: the command runs its own event loop
        return asyncio.to_thread(main, ["apps", *argv, "--config", str(CONFIG_FILE),
                                        "--set", f"storage.url=sqlite:///{db_path}"])

    def printed():
        return json.loads(capsys.readouterr().out)

    assert await cli("add", "--name", "商城") == 0
    app = printed()
    assert set(app) == {"app_id", "app_secret"} and re.fullmatch(r"[0-9a-f]{16}", app["app_id"])
    assert app["app_secret"] not in str(rows("SELECT * FROM apps"))
    assert await cli("list") == 0
    [listed] = printed()
    assert (listed["app_id"], listed["name"], set(listed)) == (app["app_id"], "商城", {"app_id", "name", "created_at"})
    client = await aiohttp_client(init_app(make_config()))
    call = lambda: client.get("/api/cloud_user/logout", params=app)  # noqa: E731
    assert await (await call()).text() == '{"code":0,"msg":"登录已失效，请重新登录","data":null}'  # the app passed
    assert await cli("remove", app["app_id"]) == 0
    assert printed() == {"removed": app["app_id"]}
    assert await (await call()).text() == '{"code":0,"msg":"app_id或app_secret错误","data":null}'
    assert await cli("remove", app["app_id"]) == 1
    assert capsys.readouterr().err.split("\n", 1)[1] == f"facade: apps remove: no app {app['app_id']!r}\n"
    assert await cli("list") == 0 and printed() == []


def test_a_mapped_session_lifetime_beyond_the_configured_maximum_stops_start_up(capsys):
    assert main(["check", "--config", str(CONFIG_FILE), "--set", "security.session_ttl_max=86400"]) == 2
    assert capsys.readouterr().err == (
        f"facade: {MAPPINGS / 'cloud_user.yaml'}: GET /api/cloud_user/login/psw (login-password): "
        "parameter 'ttl': 604800 s is longer than security.session_ttl_max (86400 s)\n")


@pytest.mark.parametrize("setting, reason", [
    ("dialects={api2: {echo: true}}", "api2.yaml: -: config dialects.api2.echo: no such setting (have: echo_password)"),
    ("dialects={api2: {echo_password: 'yes'}}",
     "api2.yaml: -: config dialects.api2.echo_password: expected bool, got 'yes'"),
    ("dialects={api3: {echo_password: true}}", "api3.yaml: -: named in config (mappings.enabled or dialects) "
                                               "but no such file")])
def test_a_dialect_setting_the_mapping_does_not_declare_stops_start_up(capsys, setting, reason):
    assert main(["check", "--config", str(CONFIG_FILE), "--set", setting]) == 2
    assert capsys.readouterr().err == f"facade: {MAPPINGS}/{reason}\n"


LEGACY_PAIR = ("qpujpkjvoudsylho", "Zk3mW9aQ7rT2xY5bN8cV1dF4gH6jK0lP")


async def test_an_app_pair_legacy_clients_carry_is_entered_as_it_is(aiohttp_client, make_config, db_path, rows,
                                                                     capsys, outbox_path):
    def cli(*argv: str):
        return asyncio.to_thread(main, ["apps", "add", *argv, "--config", str(CONFIG_FILE),
                                        "--set", f"storage.url=sqlite:///{db_path}"])
    app_id, secret = LEGACY_PAIR
    assert await cli("--name", "shipped", "--app-id", app_id, "--app-secret", secret) == 0
    assert json.loads(capsys.readouterr().out) == {"app_id": app_id, "app_secret": secret}
    assert secret not in str(rows("SELECT * FROM apps"))
    client = await aiohttp_client(init_app(make_config()))
    # The CommonLib client's exact request: every parameter in the query, the pair first.
    response = await client.get(f"/api/cloud_user/code/get?app_id={app_id}&app_secret={secret}"
                                "&phone=13800138000&type=0")
    assert await response.text() == '{"code":1,"msg":"数据返回成功！","data":null}'
    assert await cli("--app-id", app_id, "--app-secret", secret) == 2
    assert capsys.readouterr().err.split("\n", 1)[1] == f"facade: apps add: an app with id {app_id} exists already\n"


@pytest.mark.parametrize("pair, reason", [
    (("QPUJPKJVOUDSYLHO", LEGACY_PAIR[1]), "an app id is 16 lowercase letters or digits, its secret 32 letters or digits"),
    ((LEGACY_PAIR[0], "short"), "an app id is 16 lowercase letters or digits, its secret 32 letters or digits"),
    ((LEGACY_PAIR[0], None), "give both --app-id and --app-secret, or neither")])
def test_a_pair_of_the_wrong_shape_is_refused(db_path, rows, capsys, pair, reason):
    argv = ["--app-id", pair[0]] + (["--app-secret", pair[1]] if pair[1] else [])
    assert main(["apps", "add", *argv, "--config", str(CONFIG_FILE),
                 "--set", f"storage.url=sqlite:///{db_path}"]) == 2
    assert capsys.readouterr().err.split("\n", 1)[1] == f"facade: apps add: {reason}\n"
    assert rows("SELECT * FROM apps") == []


@pytest.mark.parametrize("sets, why", [(["mappings.dir={empty}"], "no *.yaml mapping here"),
                                       (["mappings.enabled=[]"], "mappings.enabled names none of them")])
@pytest.mark.parametrize("command", ["check", "serve"])
def test_nothing_to_serve_stops_start_up_naming_the_folder(tmp_path, capsys, command, sets, why):
    empty = tmp_path / "empty"
    empty.mkdir()
    args = [command, "--config", str(CONFIG_FILE), "--set", f"storage.url=sqlite:///{tmp_path / 'x.db'}"]
    for item in sets:
        args += ["--set", item.format(empty=empty)]
    assert main(args) == 2
    folder = empty if "dir" in sets[0] else MAPPINGS
    assert capsys.readouterr().err == f"facade: {folder}: -: {why}: nothing to serve\n"
    assert not (tmp_path / "x.db").exists()
