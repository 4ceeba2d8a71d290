"""What an import may never do: give a legacy row (or its sessions and tokens) an account here that it
cannot be shown to own, write anything on a dry run, or stop on a row it should reject."""
from __future__ import annotations

import json
import time

import jwt
import pytest

from facade.app import init_app
from facade.keys import CORE, STORE
from tests.test_import import SESSIONS

pytestmark = pytest.mark.every_backend

PHONE, OTHER = "13900139000", "13700137000"
OLD_KEY = "the-legacy-services-own-signing-key"


@pytest.fixture
async def app(aiohttp_client, make_config):
    return await aiohttp_client(init_app(make_config(f"security.legacy_jwt_keys={{cloud_user: [{OLD_KEY}]}}")))


async def proven(app, **fields) -> int:
    core = app.server.app[CORE]
    user = (await core.register(password="own-pw-1", **fields)).user
    async with app.server.app[STORE].write() as work:
        await work.users.set_verified(user.id, "phone", time.time())
    return user.id


def users_csv(importing, header: str, *lines: str) -> None:
    importing.write("users.csv", header + "\n" + "".join(line + "\n" for line in lines))


def description(*fields: str, verified: str = "") -> str:
    body = "".join(f"        {field}\n" for field in fields)
    return ("dialect: express\nusers:\n  source: {path: users.csv, format: csv}\n  fields:\n"
            "    ids: {userId: $row.id}\n    password: {scheme: plain, value: $row.pw}\n"
            + body.replace("        ", "    ") + (f"  verified: {verified}\n" if verified else ""))


async def reported(importing, text: str) -> list[dict]:
    code, out, _ = await importing.run(text, "--report", str(importing.folder / "report.jsonl"))
    assert code == 0, out
    return [json.loads(line) for line in (importing.folder / "report.jsonl").read_text().splitlines()]


async def test_a_username_match_alone_never_joins_an_account(app, importing, rows):
    await proven(app, username="alice", phone=PHONE)
    before = rows("SELECT id, password_hash, email_verified_at FROM users")
    users_csv(importing, "id,name,email,pw", "500,alice,someone-else@legacy.example,legacy-pw")
    report = await reported(importing, description("username: $row.name", "email: $row.email",
                                                   verified="{email: true}"))
    assert [r["reason"] for r in report] == ["only its username is held here, by an account it cannot be shown to be"]
    assert rows("SELECT id, password_hash, email_verified_at FROM users") == before


async def test_an_unproven_legacy_row_never_joins_an_account_that_proved_its_phone(app, importing, rows):
    await proven(app, phone=PHONE)
    users_csv(importing, "id,mobile,pw", f"777,{PHONE},legacy-pw")
    importing.write("tokens.jsonl", json.dumps({"token": "ab" * 16, "userId": 777, "ttl": 3600}) + "\n")
    report = await reported(importing, description("phone: $row.mobile"))
    assert [r["reason"] for r in report] == ["the account here proved its phone; this row does not"]
    code, out, _ = await importing.run(SESSIONS)
    assert "imported 0" in out and rows("SELECT * FROM sessions") == []


async def test_a_legacy_session_goes_only_to_a_user_imported_with_that_id(app, importing, rows):
    await app.server.app[CORE].register(username="victim", phone=PHONE, password="victim-pw")  # shows userId 1
    users_csv(importing, "id,mobile,pw", f"1,{OTHER},legacy-pw")  # refused: id 1 is shown here already
    await importing.run(description("phone: $row.mobile"))
    importing.write("tokens.jsonl", json.dumps({"token": "cd" * 16, "userId": 1, "ttl": 3600}) + "\n")
    code, out, _ = await importing.run(SESSIONS)
    assert "imported 0" in out and rows("SELECT * FROM sessions") == []


async def test_a_legacy_jwt_key_opens_no_account_the_facade_made(app, rows):
    core = app.server.app[CORE]
    pair = await core.apps.add("t")
    await core.register(phone=PHONE, password="own-pw-1")
    [user] = rows("SELECT public_id FROM users")
    forged = jwt.encode({"aud": user["public_id"], "exp": int(time.time()) + 3600}, OLD_KEY, algorithm="HS256")
    response = await app.get("/api/cloud_user/userinfo/get", headers={
        "app_id": pair.app_id, "app_secret": pair.app_secret, "cloud_token": forged})
    assert json.loads(await response.text())["code"] == 0
    assert rows("SELECT * FROM sessions") == []


async def test_a_dry_run_leaves_the_id_sequence_where_it_was(app, importing, rows):
    users_csv(importing, "id,mobile,pw", f"5000000,{OTHER},legacy-pw")
    code, _, _ = await importing.run(description("phone: $row.mobile"), "--dry-run")
    assert code == 0
    user = (await app.server.app[CORE].register(phone=PHONE, password="pw")).user
    assert user.id == 1


async def test_two_rows_that_name_one_account_join_it_once(app, importing, rows):
    await app.server.app[CORE].register(username="a", phone=PHONE, email="a@example.com", password="pw")
    users_csv(importing, "id,mobile,email,pw", f"700,{PHONE},,legacy-pw", "701,,a@example.com,legacy-pw2")
    report = await reported(importing, description("phone: $row.mobile", "email: $row.email"))
    assert report == [{"part": "users", "line": 3, "reason": "joins the account here that line 2 joins"}]


@pytest.mark.parametrize("created", ["nan", "inf", "-1e300", "4102444800"])
async def test_a_time_outside_1970_to_now_is_rejected(importing, rows, created):
    users_csv(importing, "id,mobile,c,pw", f"7,{OTHER},{created},x")
    report = await reported(importing, description("phone: $row.mobile", "created_at: $row.c"))
    assert [r["reason"] for r in report] == ["created_at: not a time between 1970 and now"]
    assert rows("SELECT * FROM users") == []


async def test_an_id_beyond_what_javascript_reads_exactly_is_rejected(importing, rows):
    users_csv(importing, "id,mobile,pw", f"{2 ** 53},{OTHER},x")
    report = await reported(importing, description("phone: $row.mobile"))
    assert [r["reason"] for r in report] == [f"ids.userId: above {2 ** 53 - 1}, beyond what a JavaScript client "
                                             "reads exactly"]


async def test_a_malformed_legacy_hash_is_rejected_without_echoing_it(importing, rows):
    users_csv(importing, "id,mobile,pw", f"7,{OTHER},$5$rounds=Sekr3tPassw0rd$x$y")
    report = await reported(importing, description("phone: $row.mobile").replace(
        "{scheme: plain, value: $row.pw}", "{scheme: sha256-crypt, value: $row.pw}"))
    assert len(report) == 1 and "Sekr3t" not in report[0]["reason"]


async def test_an_unknown_encoding_stops_the_import_before_it_starts(importing):
    users_csv(importing, "id,mobile,pw", f"7,{OTHER},x")
    code, _, err = await importing.run(description("phone: $row.mobile").replace(
        "format: csv}", "format: csv, encoding: nonsense}"))
    assert code != 0 and "users.source.encoding: no such encoding: 'nonsense'" in err


async def test_no_two_users_show_one_id_when_one_is_derived(importing, rows):
    """Found in review: istatus rows '5,100009' and '9,' (no gid) would both show gid 100009."""
    importing.write("users.csv", "id,gid,mobile,pw\n5,100009,13700137005,pw5\n9,,13700137009,pw9\n")
    report = await reported(importing, "dialect: istatus\nusers:\n  source: {path: users.csv, format: csv}\n"
                                       "  fields:\n    ids: {id: $row.id, gid: $row.gid}\n    phone: $row.mobile\n"
                                       "    password: {scheme: plain, value: $row.pw}\n")
    assert report == [{"part": "users", "line": 3, "reason": "the id it would show is another row's or account's"}]
    assert [r["phone"] for r in rows("SELECT phone FROM users")] == ["13700137005"]


@pytest.mark.parametrize("fmt, text", [("csv", "\ufeffid,mobile,pw\n7,13700137000,x\n"),
                                       ("jsonl", '\ufeff{"id": 7, "mobile": "13700137000", "pw": "x"}\n')])
async def test_a_file_starting_with_a_bom_reads_as_without(importing, rows, fmt, text):
    """Excel writes a UTF-8 BOM; it used to hide the first column's name."""
    importing.write(f"users.{fmt}", text)
    code, out, _ = await importing.run(description("phone: $row.mobile").replace("users.csv, format: csv",
                                                                                 f"users.{fmt}, format: {fmt}"))
    assert (code, out.split(",")[1]) == (0, " imported 1")


async def test_a_big_import_keeps_postgresqls_statistics_fresh(importing, rows, backend):
    """Planned by a fresh table's empty statistics, an import's look-ups scanned ever larger tables and
    timed out past ~60,000 users (bench/imports.py); the store samples the tables as they grow."""
    if backend != "postgresql":
        pytest.skip("SQLite keeps no statistics to go stale")
    importing.write("users.csv", "id,mobile,pw\n" + "".join(f"{i},{13000000000 + i},x\n" for i in range(1, 1501)))
    code, out, _ = await importing.run(description("phone: $row.mobile"))
    assert code == 0 and "imported 1500" in out.replace(",", ""), out
    [users] = rows("SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass")
    assert users["reltuples"] >= 1000
