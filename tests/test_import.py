"""`facade import`: legacy users, sessions and app keys come in as a description
says, through the real command, on both backends."""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess

import pytest

from facade.app import init_app
from facade.core.ids import CLUSTERED
from facade.importing import run as import_run
from facade.store import open_store
from tests.clients import AppPair, dialects
from tests.conftest import ROOT
from tests.importing import Importing

pytestmark = pytest.mark.every_backend

ALICE, BOB = "13800138000", "13900139000"


@pytest.fixture
async def http(aiohttp_client, make_config):
    """The server over the same store; created after an import, it sees what came in."""
    async def make(*sets: str):
        client = await aiohttp_client(init_app(make_config(*sets)))
        client.app_pair = None
        return client
    return make


EXPRESS = """
    dialect: express
    users:
      source: {path: users.csv, format: csv}
      fields:
        ids: {userId: $row.id}
        username: $row.user_name
        phone: $row.mobile
        password: {scheme: plain, value: $row.pwd}
"""


def express_users(importing: Importing, rows: str = "7,alice,13800138000,s3cret-1\n12,bob,13900139000,pw-2\n") -> None:
    importing.write("users.csv", "id,user_name,mobile,pwd\n" + rows)


async def login(http, name: str, phone: str, password: str) -> dict:
    response = await dialects(http.app_pair)[name].login(http, phone, password, {})
    return json.loads(await response.text())


async def test_express_users_keep_their_ids_and_passwords_everywhere(importing, http, rows):
    express_users(importing)
    assert await importing.run(EXPRESS) == (
        0, "users: read 2, imported 2, merged 0, unchanged 0, skipped 0, rejected 0\n", "")
    assert all(r["password_hash"].startswith("django-pbkdf2:") for r in rows("SELECT password_hash FROM users"))
    client = await http()
    body = await login(client, "express", "alice", "s3cret-1")
    assert (body["code"], body["data"]["userId"], body["data"]["userName"]) == (0, 7, "alice")
    assert (await login(client, "express", BOB, "pw-2"))["data"]["userId"] == 12
    assert (await login(client, "istatus", ALICE, "s3cret-1"))["status"]["status_code"] == "200"
    assert (await login(client, "result", ALICE, "s3cret-1"))["result"] == "0000"
    [alice] = rows("SELECT password_hash FROM users WHERE phone = ?", ALICE)
    assert alice["password_hash"].startswith("sha256-bcrypt:")  # rehashed at the first login
    # A user the facade makes now gets an express userId above every imported one.
    dialect = dialects()["express"]
    await dialect.register(client, "13700137000", "pw-3")
    assert (await login(client, "express", "13700137000", "pw-3"))["data"]["userId"] == 13


async def test_a_wrong_password_changes_nothing(importing, http, rows):
    express_users(importing)
    await importing.run(EXPRESS)
    client = await http()
    before = rows.snapshot(but=("throttles",))
    assert (await login(client, "express", "alice", "wrong"))["code"] == 5000
    assert rows.snapshot(but=("throttles",)) == before


async def test_a_second_run_changes_nothing(importing, rows):
    express_users(importing)
    await importing.run(EXPRESS)
    before = rows.snapshot()
    assert await importing.run(EXPRESS) == (
        0, "users: read 2, imported 0, merged 0, unchanged 2, skipped 0, rejected 0\n", "")
    assert rows.snapshot() == before


async def test_a_dry_run_writes_nothing_and_says_what_a_run_would(importing, rows, storage_url):
    express_users(importing, "7,alice,13800138000,s3cret-1\n7,again,13700137000,x\n12,bob,1234,pw\n")
    await (await open_store(storage_url)).close()  # an existing database
    before = rows.snapshot()
    code, out, _ = await importing.run(EXPRESS, "--dry-run")
    assert (code, out) == (0, "users: read 3, imported 1, merged 0, unchanged 0, skipped 0, rejected 2 "
                              "(dry run: nothing was written)\n")
    assert rows.snapshot() == before
    assert (await importing.run(EXPRESS))[1] == out.replace(" (dry run: nothing was written)", "")


@pytest.mark.parametrize("batch, order", [(import_run.BATCH, [3, 7, 4, 5]), (2, [3, 4, 5, 7])],
                         ids=["one batch", "batches of two"])
async def test_rejected_rows_are_reported_with_their_line_and_reason(importing, rows, tmp_path, monkeypatch, batch,
                                                                      order):
    """Batches of two rows make the decisions one batch makes (every row before a batch is written when it
    is decided); within a batch, rows that could not be read as accounts are reported first."""
    monkeypatch.setattr(import_run, "BATCH", batch)
    express_users(importing, "7,alice,13800138000,s3cret-1\n8,carol,1380013800,x\n7,dave,13600136000,x\n"
                             "9,erin,13800138000,x\n10,13500135000,13500135001,x\n11,frank,13400134000,\n")
    report = tmp_path / "rejected.jsonl"
    code, out, _ = await importing.run(EXPRESS, "--report", str(report))
    assert (code, out) == (0, "users: read 6, imported 2, merged 0, unchanged 0, skipped 0, rejected 4\n")
    reasons = {3: "not a mainland mobile number", 7: "password: empty", 4: "repeats line 2", 5: "repeats line 2"}
    assert [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()] == [
        {"part": "users", "line": line, "reason": reasons[line]} for line in order]
    assert [r["username"] for r in rows("SELECT username FROM users ORDER BY username")] == ["13500135000", "alice"]


async def test_a_stop_in_a_later_batch_keeps_the_batches_before_it(importing, http, rows, monkeypatch):
    monkeypatch.setattr(import_run, "BATCH", 2)
    await registered_here(http)
    express_users(importing, "5,yan,13500135000,x\n6,zed,13700137000,x\n7,alice,13800138000,legacy-pw\n"
                             "8,bob,13900139000,x\n")
    code, out, err = await importing.run(EXPRESS + "      on_conflict: fail\n")
    assert (code, out) == (1, "")
    assert err == ("facade: import: line 4: its phone, e-mail address or username is held here "
                   "(on_conflict: fail)\n")
    assert [r["username"] for r in rows("SELECT username FROM users WHERE imported_by IS NOT NULL "
                                        "ORDER BY username")] == ["yan", "zed"]


async def test_users_imported_in_one_batch_share_the_start_of_their_public_ids(importing, rows, monkeypatch):
    """So that a batch lands in one place of the index on public ids (facade.core.ids.clustered_public_ids):
    the first letters are the batch's, drawn anew for each batch, and the other 12 each user's own."""
    monkeypatch.setattr(import_run, "BATCH", 3)
    express_users(importing, "".join(f"{i},user{i},{13800138000 + i},pw\n" for i in range(1, 10)))
    assert (await importing.run(EXPRESS))[0] == 0
    found = rows("SELECT public_id, imported_line FROM users ORDER BY imported_line")
    assert [r["imported_line"] for r in found] == list(range(2, 11))
    public_ids = [r["public_id"] for r in found]
    assert all(re.fullmatch("[a-z]{16}", one) for one in public_ids)
    starts = [{one[:CLUSTERED] for one in public_ids[k:k + 3]} for k in (0, 3, 6)]
    assert [len(start) for start in starts] == [1, 1, 1]
    assert len(set().union(*starts)) > 1  # three batches alike would be a 1 in 26**8 chance
    assert len({one[CLUSTERED:] for one in public_ids}) == 9


async def test_each_row_keeps_its_own_profile_however_few_rows_of_its_batch_fill_a_field(importing, rows):
    """A store may leave out of a batch's insert a column no row of it fills: the others keep each row's value."""
    description = EXPRESS.replace("        password:", "        nickname: $row.nick\n        email: $row.mail\n"
                                  "        gender: $row.sex\n        password:")
    importing.write("users.csv", "id,user_name,mobile,pwd,nick,mail,sex\n7,alice,13800138000,x,Ally,,\n"
                                 "8,bob,13900139000,y,,bob@example.com,1\n9,carol,13700137000,z,,,\n")
    assert (await importing.run(description))[0] == 0
    assert rows("SELECT username, nickname, email, gender, birthday, avatar, extra, contact_email, "
                "phone_verified_at FROM users ORDER BY username") == [
        {"username": "alice", "nickname": "Ally", "email": None, "gender": None, "birthday": None, "avatar": None,
         "extra": None, "contact_email": None, "phone_verified_at": None},
        {"username": "bob", "nickname": None, "email": "bob@example.com", "gender": 1, "birthday": None,
         "avatar": None, "extra": None, "contact_email": None, "phone_verified_at": None},
        {"username": "carol", "nickname": None, "email": None, "gender": None, "birthday": None, "avatar": None,
         "extra": None, "contact_email": None, "phone_verified_at": None}]


@pytest.mark.parametrize("description, files, error", [
    pytest.param(EXPRESS, {"users.csv": 'id,user_name,mobile,pwd\n7,"alice,13800138000,x\n'},
                 "users.csv: line 3: not readable: unexpected end of data", id="unclosed-quote"),
    pytest.param(EXPRESS, {"users.csv": "id,user_name,mobile,pwd\n7,alice,13800138000,x,extra\n"},
                 "users.csv: line 2: 5 fields, the header has 4", id="extra-field"),
    pytest.param(EXPRESS, {"users.csv": "id,user_name,pwd\n7,alice,x\n"},
                 "users.csv: line 1: the header has no column mobile", id="missing-column"),
    pytest.param(EXPRESS.replace("scheme: plain", "scheme: rot13"), {},
                 "description.yaml: users.fields.password: ", id="unknown-scheme"),
    pytest.param(EXPRESS.replace("{scheme: plain, value: $row.pwd}",
                                 '{scheme: recipe, recipe: "md5(md5(password) + ", value: $row.pwd}'), {},
                 "description.yaml: users.fields.password: ", id="bad-recipe"),
    pytest.param(EXPRESS.replace("userId: $row.id", "uid: $row.id"), {},
                 "description.yaml: users.fields.ids.uid: not one of express's ids (userId)", id="unknown-id"),
    pytest.param(EXPRESS.replace("dialect: express", "dialect: nope"), {},
                 "description.yaml: dialect: no dialect 'nope'", id="unknown-dialect"),
    pytest.param(EXPRESS.replace("path: users.csv", "path: none.csv"), {},
                 "description.yaml: users.source.path: no such file", id="no-file"),
    pytest.param(EXPRESS.replace("format: csv", "format: xml"), {},
                 "description.yaml: users.source.format: 'xml' is not one of", id="schema"),
])
async def test_a_broken_description_or_file_stops_before_writing_anything(importing, rows, description, files,
                                                                            error):
    express_users(importing)
    for name, text in files.items():
        (importing.folder / name).write_text(text, encoding="utf-8")
    before = rows.snapshot()
    code, out, err = await importing.run(description)
    assert code == 2 and out == "" and err.startswith("facade: ") and error in err, err
    assert rows.snapshot() == before


# Merging into accounts made here.

async def registered_here(http, password: str = "here-pw-1") -> None:
    """A user made through express, which asks no code: its phone is not proven."""
    client = await http()
    await dialects()["express"].register(client, ALICE, password)


@pytest.mark.parametrize("policy, summary", [
    ("merge", "read 1, imported 0, merged 1, unchanged 0, skipped 0, rejected 0"),
    ("skip", "read 1, imported 0, merged 0, unchanged 0, skipped 1, rejected 0")])
async def test_an_account_holding_the_phone_gets_the_legacy_id_or_is_left(importing, http, policy, summary):
    await registered_here(http)
    express_users(importing, "7,alice,13800138000,legacy-pw\n")
    assert (await importing.run(EXPRESS + f"      on_conflict: {policy}\n"))[1] == f"users: {summary}\n"
    client = await http()
    body = await login(client, "express", ALICE, "here-pw-1")  # its own password stays: nothing proved otherwise
    assert body["data"]["userId"] == (7 if policy == "merge" else 1)
    assert (await login(client, "express", ALICE, "legacy-pw"))["code"] == 5000


async def test_a_legacy_proven_phone_wins_over_an_unproven_claim(importing, http, rows):
    await registered_here(http, "claimant-pw")
    client = await http()
    claimant = (await login(client, "express", ALICE, "claimant-pw"))["data"]["authorization"]
    express_users(importing, "7,alice,13800138000,legacy-pw\n")
    await importing.run(EXPRESS + "      verified: {phone: true}\n")
    client = await http()
    assert (await login(client, "express", ALICE, "claimant-pw"))["code"] == 5000
    assert (await login(client, "express", ALICE, "legacy-pw"))["data"]["userId"] == 7
    assert rows("SELECT revoked_at IS NOT NULL AS revoked FROM sessions WHERE token_hash = ?",
                __import__("hashlib").sha256(claimant.encode()).hexdigest()) == [{"revoked": True}]


async def test_on_conflict_fail_stops_the_import_naming_the_line(importing, http):
    await registered_here(http)
    express_users(importing, "6,zed,13700137000,x\n7,alice,13800138000,legacy-pw\n")
    code, out, err = await importing.run(EXPRESS + "      on_conflict: fail\n")
    assert (code, out) == (1, "")
    assert err == ("facade: import: line 3: its phone, e-mail address or username is held here "
                   "(on_conflict: fail)\n")


# Every dialect's ids.

async def test_each_dialects_ids_show_on_its_own_wire(importing, http):
    importing.write("users.jsonl", "\n".join(json.dumps(row) for row in [
        {"phone": ALICE, "cloud": "qpujpkjvoudsylho", "id": 31, "gid": 200031, "uid": 77, "md5": "x"}]) + "\n")
    for dialect, ids in (("cloud_user", "{userId: $row.cloud}"), ("istatus", "{id: $row.id, gid: $row.gid}"),
                         ("api2", "{uid: $row.uid}")):
        await importing.run(f"""
            dialect: {dialect}
            users:
              source: {{path: users.jsonl, format: jsonl}}
              fields:
                ids: {ids}
                phone: $row.phone
                password: {{scheme: plain, value: s3cret-1}}
        """)
    client = await http()
    client.app_pair = AppPair(*await app_pair(client))
    assert (await login(client, "cloud_user", ALICE, "s3cret-1"))["data"]["userId"] == "qpujpkjvoudsylho"
    istatus = (await login(client, "istatus", ALICE, "s3cret-1"))["content"]
    assert (istatus["id"], istatus["gid"]) == ("31", "200031")
    assert (await login(client, "api2", ALICE, "s3cret-1"))["uid"] == "77"
    assert (await login(client, "express", ALICE, "s3cret-1"))["data"]["userId"] == 1  # none imported: the core's


async def app_pair(client) -> tuple[str, str]:
    from facade.keys import CORE
    app = await client.server.app[CORE].apps.add("tests")
    return app.app_id, app.app_secret


async def test_an_imported_id_another_user_already_shows_is_rejected(importing, http):
    await registered_here(http)  # shows express userId 1, derived from its core id
    express_users(importing, "1,bob,13900139000,x\n2,carol,13700137000,y\n")
    code, out, _ = await importing.run(EXPRESS)
    assert out == "users: read 2, imported 1, merged 0, unchanged 0, skipped 0, rejected 1\n"


# Live sessions.

SESSIONS = """
    dialect: express
    sessions:
      source: {path: tokens.jsonl, format: jsonl}
      fields: {token: $row.token, user: $row.userId, expires_in: $row.ttl}
"""


async def test_imported_express_tokens_work_until_logout(importing, http, rows):
    express_users(importing)
    await importing.run(EXPRESS)
    live, other = "a" * 32, "b" * 32
    importing.write("tokens.jsonl", "\n".join(json.dumps(row) for row in [
        {"token": live, "userId": 7, "ttl": 3600}, {"token": "c" * 32, "userId": 7, "ttl": -2},
        {"token": "NOT-HEX", "userId": 7, "ttl": 60}, {"token": other, "userId": 99, "ttl": 60}]) + "\n")
    code, out, _ = await importing.run(SESSIONS)
    assert (code, out) == (0, "sessions: read 4, imported 1, merged 0, unchanged 0, skipped 1, rejected 2\n")
    client = await http()
    logout = lambda token: client.get("/express/login/api/loginOut/v1", headers={"Authorization": token})  # noqa: E731
    assert '"code":0' in await (await logout(live)).text()
    sessions = rows("SELECT revoked_at IS NOT NULL AS revoked FROM sessions")
    assert [s["revoked"] for s in sessions] == [1]  # it died like any other session
    assert (await importing.run(SESSIONS))[1].startswith("sessions: read 4, imported 0, merged 0, unchanged 1")


REDIS_DB = "13"


@pytest.mark.skipif(not shutil.which("redis-cli"), reason="redis-cli is not installed")
async def test_the_readme_redis_dump_imports_as_it_is(importing, http, backend):
    if backend != "sqlite":
        pytest.skip("once is enough")
    redis = ["redis-cli", "-n", REDIS_DB]
    if subprocess.run([*redis, "ping"], capture_output=True, text=True).stdout.strip() != "PONG":
        pytest.skip("no Redis server answers")
    token = "f8721c0fab0842dc9c5d984c863b38f8"
    key = f"ExpressUserBO:GetExpressUserInfo:{token}"
    subprocess.run([*redis, "hset", key, "_class", "com.ch999.express.admin.document.ExpressUserBO",
                    "authorization", f"GetExpressUserInfo:{token}", "userId", "7", "liveTime", "86400"], check=True,
                   capture_output=True)
    subprocess.run([*redis, "expire", key, "3000"], check=True, capture_output=True)
    try:
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        command = readme.split("<!-- redis dump -->")[1].split("```sh\n")[1].split("```")[0]
        subprocess.run(["bash", "-c", command.replace("redis-cli", f"redis-cli -n {REDIS_DB}")], check=True,
                       cwd=importing.folder, capture_output=True)
    finally:
        subprocess.run([*redis, "del", key], capture_output=True)
    express_users(importing)
    await importing.run(EXPRESS)
    assert (await importing.run(SESSIONS))[1].startswith("sessions: read 1, imported 1")
    client = await http()
    response = await client.get("/express/login/api/loginOut/v1", headers={"Authorization": token})
    assert '"code":0' in await response.text()


# App keys.

async def test_app_pairs_come_in_and_answer_the_clients_exact_query(importing, http, monkeypatch):
    monkeypatch.setenv("SHOP_SECRET", "Zk3mW9aQ7rT2xY5bN8cV1dF4gH6jK0lP")
    apps = """
        dialect: cloud_user
        apps:
          - {name: shop, app_id: qpujpkjvoudsylho, app_secret: $env.SHOP_SECRET}
    """
    assert (await importing.run(apps))[1] == "apps: read 1, imported 1, merged 0, unchanged 0, skipped 0, rejected 0\n"
    client = await http()
    response = await client.get("/api/cloud_user/code/get?app_id=qpujpkjvoudsylho"
                                "&app_secret=Zk3mW9aQ7rT2xY5bN8cV1dF4gH6jK0lP&phone=13800138000&type=0")
    assert await response.text() == '{"code":1,"msg":"数据返回成功！","data":null}'
    assert (await importing.run(apps))[1].startswith("apps: read 1, imported 0, merged 0, unchanged 1")
    monkeypatch.setenv("SHOP_SECRET", "A" * 32)
    assert (await importing.run(apps))[1].endswith("rejected 1\n")


def test_base64_helper_is_standard():
    assert base64.b64encode(b"x").decode() == "eA=="


# One imported user per scheme: the legacy password works through every dialect, once; ours after.

def _made_here(name: str, password: str) -> str:
    """A legacy hash made independently of the facade's code, by the library that defines the format."""
    import argon2
    import bcrypt
    from passlib import hash as libpass
    return {
        "md5-crypt": lambda: libpass.md5_crypt.hash(password),
        "sha512-crypt": lambda: libpass.sha512_crypt.using(rounds=5000).hash(password),
        "ldap": lambda: libpass.ldap_salted_sha1.hash(password),
        "passlib-pbkdf2": lambda: libpass.pbkdf2_sha256.using(rounds=1000).hash(password),
        "argon2": lambda: argon2.PasswordHasher(time_cost=1, memory_cost=8192).hash(password),
        # Spring's jBCrypt used the first 72 bytes; this bcrypt refuses more, so it is handed those.
        "spring-bcrypt": lambda: "{bcrypt}" + bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(4)).decode(),
    }[name]()


LONG = "这是一个超过七十二个字节的很长很长很长的中文密码用来测试"  # 29 characters, 87 UTF-8 bytes
SCHEMES = {  # name: (the legacy password, the description's password entry)
    "plain": (LONG, {"scheme": "plain", "value": LONG}),
    "md5": ("pw-md5", {"scheme": "md5", "value": __import__("hashlib").md5(b"pw-md5").hexdigest()}),
    "sha1-salted": ("pw-sha1", {"scheme": "sha1", "salt": "NaCl", "salt_position": "after",
                                "value": __import__("hashlib").sha1(b"pw-sha1NaCl").hexdigest()}),
    "discuz": ("123456", {"scheme": "recipe", "recipe": "md5(md5(password) + salt)", "inputs": {"salt": "abc123"},
                          "value": "f17c5399e1021a35ba69bba302e3da53"}),
    "ruoyi": ("admin123", {"scheme": "recipe", "recipe": "md5(login_name + password + salt)",
                           "inputs": {"login_name": "admin", "salt": "111111"},
                           "value": "29c67a30398638269fe600f73a054934"}),
    "shiro": ("123456", {"scheme": "shiro", "algorithm": "MD5", "salt": "abc123", "iterations": 1024,
                         "value": "ebb0ce60d9b8cd19f6908c4c3a1fbe2f"}),
    "bcrypt": ("admin123", {"scheme": "bcrypt",
                            "value": "$2a$10$7JB720yubVSZvUI0rEqK/.VqGOZTH.ulu33dHOiBE8ByOhJIrdAu2"}),
    "spring-md5": ("password", {"scheme": "spring", "value": "{MD5}{thisissalt}2a4e7104c2780098f50ed5a84bb2323d"}),
    "django": ("lètmein", {"scheme": "django-pbkdf2",
                           "value": "pbkdf2_sha256$100000$seasalt$BNZ6eyaNc8qFTJPjrAq99hSYb73EgAdytAtdBg2Sdcc="}),
    **{name: (LONG, {"scheme": name if name != "spring-bcrypt" else "spring", "value": None})
       for name in ("md5-crypt", "sha512-crypt", "ldap", "passlib-pbkdf2", "argon2", "spring-bcrypt")},
}
EVERYWHERE = ("express", "istatus", "cloud_user", "api2", "result")


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_each_scheme_logs_in_through_every_dialect_then_holds_ours(importing, http, rows, scheme):
    password, entry = SCHEMES[scheme]
    if entry["value"] is None:
        entry = {**entry, "value": _made_here(scheme, password)}
    importing.write("users.jsonl", json.dumps({"phone": ALICE, "password": entry}) + "\n")
    # What varies by row comes from the row; what describes the scheme is written in the description.
    from_row = {key: f"$row.password.{key}" for key in ("value", "salt") if key in entry}
    if "inputs" in entry:
        from_row["inputs"] = {name: f"$row.password.inputs.{name}" for name in entry["inputs"]}
    described = {**{k: v for k, v in entry.items() if k not in ("value", "salt", "inputs")}, **from_row}
    description = {"dialect": "express", "users": {"source": {"path": "users.jsonl", "format": "jsonl"},
                                                   "fields": {"phone": "$row.phone", "password": described}}}
    code, out, err = await importing.run(json.dumps(description))
    assert out.startswith("users: read 1, imported 1"), err
    [before] = rows("SELECT password_hash FROM users")
    client = await http()
    client.app_pair = AppPair(*await app_pair(client))
    wrong = await login(client, "express", ALICE, "x" + password)  # legacy bcrypt saw only 72 bytes: differ early
    assert wrong["code"] == 5000 and rows("SELECT password_hash FROM users") == [before]
    for name in EVERYWHERE:
        assert await dialects(client.app_pair)[name].ok(
            await dialects(client.app_pair)[name].login(client, ALICE, password, {})), (scheme, name)
    [after] = rows("SELECT password_hash FROM users")
    assert after["password_hash"].startswith("sha256-bcrypt:$2b$04$") and after != before
