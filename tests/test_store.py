"""The store contract: what every backend must do, run unchanged against
SQLite and PostgreSQL. Written against the core's ports (facade/core/ports/),
never against a backend's SQL."""
from __future__ import annotations

import asyncio
import json
import re
import sqlite3

import asyncpg
import pytest

from facade.core.faults import StoreFault
from facade.core.models import Session
from facade.core.outcomes import NoSuchUser, PhoneTaken, TokenInvalid, WrongPassword
from facade.core.ports import (SWEPT, App, File, Identifier, NewAccount, NewCode, NewSession, ProfileChange,
                               Strikes, Taken)
from facade.storage_url import SCHEMES
from facade.store import BACKENDS, open_store

pytestmark = pytest.mark.every_backend


def account(**given) -> NewAccount:
    values = dict(public_id="a" * 16, username=None, username_key=None, phone=None, email=None, password_hash="x",
                  nickname=None, gender=None, birthday=None, avatar=None, extra=None, contact_email=None,
                  created_at=1.0)
    return NewAccount(**{**values, **given})


def session_for(user_id: int, token_hash: str = "h", expires_at: float = 100.0) -> NewSession:
    return NewSession(user_id=user_id, token_hash=token_hash, origin="t", app_id=None, device_key=None,
                      device_info=None, created_at=1.0, expires_at=expires_at)


def code_for(target: str, created_at: float = 1.0, client: str | None = "10.0.0.1") -> NewCode:
    return NewCode(target=target, purpose="register", salt="s", code_hash="h", created_at=created_at,
                   expires_at=created_at + 300, max_attempts=2, origin="t", client=client)


async def test_an_account_is_found_by_each_identifier_and_by_id(store):
    async with store.write() as work:
        added = await work.users.add(account(username="Ann", username_key="ann", phone="13800138000",
                                             email="ann@example.com"))
    assert (added.updated_at, added.username) == (1.0, "Ann")
    async with store.read() as work:
        for identifier in (Identifier("username", "ann"), Identifier("phone", "13800138000"),
                           Identifier("email", "ann@example.com")):
            assert await work.users.find(identifier) == added
        assert await work.users.get(added.id) == added
        assert await work.users.find(Identifier("phone", "13900139000")) is None


async def test_legacy_ids_are_kept_on_the_user_as_json_reads_and_writes_them(store, rows):
    """The copy on the user is written by hand for speed: it must be what json.dumps(sort_keys=True) writes."""
    ids = {"uid": "1", "gid": 'a "quoted" \\ id', "userId": "名字\u2028x"}
    async with store.write() as work:
        await work.users.add_many([(41, account(legacy_ids=ids)), (42, account(public_id="b" * 16))])
    async with store.read() as work:
        assert ((await work.users.get(41)).legacy_ids, (await work.users.get(42)).legacy_ids) == (ids, {})
    assert rows("SELECT id, legacy_ids FROM users ORDER BY id") == [
        {"id": 41, "legacy_ids": json.dumps(ids, sort_keys=True)}, {"id": 42, "legacy_ids": None}]


@pytest.mark.parametrize("field, given", [("username", {"username_key": "ann"}), ("phone", {"phone": "13800138000"}),
                                          ("email", {"email": "a@example.com"}), ("public_id", {})])
async def test_a_taken_identifier_is_refused_naming_the_field(store, field, given):
    async with store.write() as work:
        await work.users.add(account(**given))
    again = {**given, "public_id": "a" * 16 if field == "public_id" else "b" * 16}
    with pytest.raises(Taken) as taken:
        async with store.write() as work:
            await work.users.add(account(**again))
    assert taken.value.field == field


async def test_a_unit_of_work_commits_everything_or_nothing(store):
    with pytest.raises(RuntimeError):
        async with store.write() as work:
            user = await work.users.add(account(phone="13800138000"))
            await work.sessions.open(session_for(user.id))
            raise RuntimeError("a crash between two writes")
    async with store.read() as work:
        assert await work.users.find(Identifier("phone", "13800138000")) is None
    async with store.write() as work:  # the next writer is not stuck behind the failed one
        user = await work.users.add(account(phone="13800138000"))
        await work.sessions.open(session_for(user.id))
    async with store.read() as work:
        assert (await work.sessions.live_by_token("h", 2.0)).user_id == user.id


async def test_a_cancelled_transaction_leaves_nothing_and_frees_the_next_writer(store):
    entered = asyncio.Event()

    async def slow() -> None:
        async with store.write() as work:
            await work.users.add(account(phone="13800138000"))
            entered.set()
            await asyncio.sleep(60)
    task = asyncio.create_task(slow())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(5):
        async with store.write() as work:
            await work.users.add(account(phone="13900139000", public_id="b" * 16))
    async with store.read() as work:
        assert await work.users.find(Identifier("phone", "13800138000")) is None


async def test_profile_and_password_changes(store):
    async with store.write() as work:
        user = await work.users.add(account(phone="13800138000"))
        await work.users.change_profile(user.id, ProfileChange(nickname="安", gender=2, birthday=-1), 5.0)
        await work.users.set_password(user.id, "y", 6.0)
    async with store.read() as work:
        changed = await work.users.get(user.id)
    assert (changed.nickname, changed.gender, changed.birthday, changed.password_hash, changed.updated_at) == (
        "安", 2, -1, "y", 6.0)


async def test_sessions_expire_and_are_revoked_once(store):
    async with store.write() as work:
        user = await work.users.add(account(phone="13800138000"))
        opened = await work.sessions.open(session_for(user.id))
        other = await work.sessions.open(session_for(user.id, "h2"))
    assert isinstance(opened, Session) and opened.expires_at == 100.0
    async with store.read() as work:
        assert await work.sessions.live(opened.id, 99.0) == opened
        assert await work.sessions.live(opened.id, 100.0) is None
    async with store.write() as work:
        assert await work.sessions.revoke(opened.id, 2.0) is True
        assert await work.sessions.revoke(opened.id, 3.0) is False
        assert await work.sessions.revoke_all(user.id, 4.0) == 1
    async with store.read() as work:
        assert await work.sessions.live(other.id, 5.0) is None


async def test_a_session_needs_an_existing_user(store):
    with pytest.raises(StoreFault) as refused:
        async with store.write() as work:
            await work.sessions.open(session_for(999))
    assert isinstance(refused.value.__cause__, (sqlite3.IntegrityError, asyncpg.ForeignKeyViolationError))
    assert refused.value.name == type(refused.value.__cause__).__name__


@pytest.mark.parametrize("unit", ["read", "write"])
async def test_a_drivers_error_leaves_a_unit_of_work_as_a_store_fault_named_after_it(store, unit):
    """Nothing above the store knows a driver: its error, reading or writing, is the core's StoreFault, with
    the driver's class as its name and the driver's first line as its reason."""
    with pytest.raises(StoreFault) as failed:
        async with getattr(store, unit)() as work:
            await work._db.all("SELECT * FROM no_such_table")
    cause = failed.value.__cause__
    assert isinstance(cause, (sqlite3.OperationalError, asyncpg.UndefinedTableError))
    assert (failed.value.name, failed.value.reason) == (type(cause).__name__, str(cause).splitlines()[0])
    async with getattr(store, unit)() as work:  # and the connection serves on
        await work.ping()


async def test_the_outcomes_of_the_core_leave_a_unit_of_work_as_they_are(store):
    with pytest.raises(PhoneTaken):
        async with store.write():
            raise PhoneTaken("13800138000")


def test_every_scheme_the_config_accepts_opens_a_backend():
    assert tuple(BACKENDS) == SCHEMES


async def test_codes_are_counted_per_target_and_client_and_spent_once(store):
    async with store.write() as work:
        first = await work.codes.add(code_for("13800138000", 1.0))
        await work.codes.add(code_for("13900139000", 2.0))
        await work.codes.add(code_for("13900139000", 3.0, client="10.0.0.2"))
        assert await work.codes.count_for_target("13900139000", 0.0) == 2
        assert await work.codes.count_for_target("13900139000", 2.0) == 1
        assert await work.codes.count_for_client("10.0.0.1", 0.0) == 2
        assert (await work.codes.latest("13900139000", "register")).created_at == 3.0
        assert await work.codes.latest("13900139000", "register", origin="other") is None
        assert [await work.codes.count_attempt(first.id, 2) for _ in range(3)] == [True, True, False]
        assert [await work.codes.consume(first.id, 9.0) for _ in range(2)] == [True, False]


async def test_concurrent_consumers_of_one_code_get_it_once(store):
    async with store.write() as work:
        code = await work.codes.add(code_for("13800138000"))

    async def consume() -> bool:
        async with store.write() as work:
            return await work.codes.consume(code.id, 5.0)
    assert sorted(await asyncio.gather(*(consume() for _ in range(16)))) == [False] * 15 + [True]


async def test_claims_make_read_decide_write_atomic(store):
    """Sixteen writers each count, then add one if fewer than four: exactly four get in."""
    async def one(i: int) -> bool:
        async with store.write() as work:
            await work.claim("code-target:13800138000")
            if await work.codes.count_for_target("13800138000", 0.0) >= 4:
                return False
            await asyncio.sleep(0.01)  # widen the window a race would need
            await work.codes.add(code_for("13800138000", 1.0 + i))
            return True
    assert sum(await asyncio.gather(*(one(i) for i in range(16)))) == 4


async def test_flows_live_until_they_expire_or_end(store):
    async with store.write() as work:
        await work.flows.put("f1", {"phone": "13800138000"}, 100.0)
        assert await work.flows.update("f1", {"phone": "13800138000", "ok": True}, 50.0) is True
        assert await work.flows.update("f1", {}, 100.0) is False
        assert await work.flows.update("nope", {}, 1.0) is False
    async with store.read() as work:
        assert await work.flows.get("f1", 99.0) == {"phone": "13800138000", "ok": True}
        assert await work.flows.get("f1", 100.0) is None
    async with store.write() as work:
        await work.flows.end("f1")
        assert await work.flows.get("f1", 1.0) is None


async def test_apps_settings_and_user_config(store):
    async with store.write() as work:
        await work.apps.add(App("id1", "shop", "hash", 2.0))
    with pytest.raises(Taken):
        async with store.write() as work:
            await work.apps.add(App("id1", "again", "hash", 3.0))
    async with store.write() as work:
        assert await work.settings.keep("k", "first") == "first"
        assert await work.settings.keep("k", "second") == "first"
        user = await work.users.add(account(phone="13800138000"))
        await work.config.put(user.id, "theme", "dark", 1.0)
        await work.config.put(user.id, "theme", "light", 2.0)
    async with store.read() as work:
        assert await work.apps.all() == [App("id1", "shop", "hash", 2.0)]
        assert (await work.config.get(user.id, "theme"), await work.config.count(user.id)) == ("light", 1)
        assert await work.config.get(user.id, "other") is None
    async with store.write() as work:
        assert (await work.apps.remove("id1"), await work.apps.remove("id1")) == (True, False)


async def test_files_belong_to_a_flow_until_a_user_refers_to_them(store):
    png = File("avatars", "a" * 32 + ".png", "image/png", b"\x89PNG", "f1", 1.0)
    async with store.write() as work:
        await work.files.add(png)
        await work.files.add(File("avatars", "b" * 32 + ".png", "image/png", b"2", "f1", 1.0))
        await work.users.add(account(phone="13800138000", avatar=png.name))
        assert await work.files.drop_unclaimed("f1") == 1  # the user's stays
    async with store.read() as work:
        assert await work.files.get("avatars", png.name) == png
        assert await work.files.get("avatars", "b" * 32 + ".png") is None


async def test_throttle_records(store):
    async with store.write() as work:
        await work.throttles.put("k", Strikes(1, 2.0, 0.0))
        await work.throttles.put("k", Strikes(2, 3.0, 33.0))
        assert await work.throttles.get("k") == Strikes(2, 3.0, 33.0)
        await work.throttles.clear("k")
        assert await work.throttles.get("k") is None


async def test_clients_failing_at_one_account_are_counted_up_to_enough(store):
    async with store.write() as work:
        for i in range(5):
            await work.throttles.put(f"pair-{i}", Strikes(1, 10.0 + i, 0.0, 10.0 + i), "account-a")
        await work.throttles.put("pair-b", Strikes(1, 20.0, 0.0), "account-b")
        await work.throttles.put("pair-0", Strikes(2, 30.0, 0.0, 10.0))  # no scope given: it keeps its own
        assert await work.throttles.get("pair-0") == Strikes(2, 30.0, 0.0, 10.0)
        assert await work.throttles.failing_clients("account-a", 11.5, 10) == 4  # pair-0 (again), 2, 3, 4 ...
        assert await work.throttles.failing_clients("account-a", 0.0, 3) == 3  # ... counted no further than asked
        assert await work.throttles.failing_clients("account-b", 0.0, 10) == 1


async def test_a_sweep_deletes_only_what_nothing_needs(store):
    async with store.write() as work:
        user = await work.users.add(account(phone="13800138000", avatar="k" * 32 + ".png"))
        await work.sessions.open(session_for(user.id, "dead", expires_at=10.0))
        await work.sessions.open(session_for(user.id, "live", expires_at=1000.0))
        await work.flows.put("gone", {}, 10.0)
        await work.flows.put("live", {}, 1000.0)
        await work.codes.add(code_for("13800138000", 1.0))
        await work.throttles.put("old", Strikes(1, 1.0, 0.0))
        await work.throttles.put("blocked", Strikes(20, 1.0, 1000.0))
        for name, flow in (("k", None), ("o", None), ("l", "live"), ("g", "gone")):
            await work.files.add(File("avatars", name * 32 + ".png", "image/png", b"x", flow, 1.0))
        await work.throttles.put("waited", Strikes(20, 1.0, 60.0))  # its wait ended 40 s ago: not yet forgotten
        await work.throttles.trust("lapsed", 99.0)
        await work.throttles.trust("trusted", 101.0)
        await work.files.charge("10.0.0.1", 40.0, 4096)
        await work.files.charge("10.0.0.1", 60.0, 5000)
    swept = {}
    for what in SWEPT:
        async with store.write() as work:
            swept[what] = await work.sweep(what, 100.0, codes_before=50.0, throttles_before=50.0, files_before=50.0,
                                           charges_before=50.0)
    assert swept == {"flows": 1, "codes": 1, "sessions": 1, "throttles": 1, "trusted_clients": 1, "files": 2,
                     "upload_charges": 1}
    async with store.read() as work:
        assert await work.sessions.live_by_token("live", 100.0) is not None
        assert await work.throttles.get("blocked") is not None and await work.throttles.get("waited") is not None
        assert (await work.throttles.trusted("trusted", 100.0), await work.throttles.trusted("lapsed", 100.0)) == (
            True, False)
        assert [await work.files.get("avatars", n * 32 + ".png") is not None for n in "kolg"] == [
            True, False, True, False]
        assert await work.files.charged_since("10.0.0.1", 0.0) == 5000


async def test_opening_twice_migrates_once_and_keeps_data(storage_url):
    first = await open_store(storage_url)
    async with first.write() as work:
        await work.users.add(account(phone="13800138000"))
    await first.close()
    second = await open_store(storage_url)
    async with second.read() as work:
        assert (await work.users.find(Identifier("phone", "13800138000"))).phone == "13800138000"
    await second.close()


async def test_stores_opened_together_on_a_fresh_database_all_start(storage_url):
    opened = await asyncio.gather(*(open_store(storage_url) for _ in range(4)))
    for store in opened:
        await store.ping()
        await store.close()


# The core over each store.

async def test_a_race_of_two_registrations_for_one_phone_makes_one_user(core, rows):
    results = await asyncio.gather(*(core.register(phone="13800138000", username=f"user{i}", password="pw")
                                     for i in range(2)), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["PhoneTaken", "Registered"]
    assert len(rows("SELECT * FROM users")) == 1


async def test_the_core_reports_a_lost_race_as_taken(core, monkeypatch):
    await core.register(phone="13800138000", password="pw")

    async def nobody_yet(ids):  # as if the other registration had not committed when checked
        return None
    monkeypatch.setattr(core, "_check_free", nobody_yet)
    with pytest.raises(PhoneTaken):
        await core.register(phone="13800138000", password="pw")


async def test_sessions_expire_and_are_revocable(core, clock):
    await core.register(username="ann", password="pw")
    login = await core.login(identifier="ann", password="pw", ttl=60)
    assert (await core.authenticate(login.token)).user_id == login.user.id
    clock.now += 61
    with pytest.raises(TokenInvalid):
        await core.authenticate(login.token)
    other = await core.login(identifier="ann", password="pw")
    await core.logout(session=await core.authenticate(other.token))
    with pytest.raises(TokenInvalid):
        await core.authenticate(other.token)


async def test_login_failures(core):
    await core.register(email="Ann@Example.com", password="pw")
    with pytest.raises(WrongPassword):
        await core.login(identifier="ann@example.com", password="nope")
    with pytest.raises(NoSuchUser):
        await core.login(identifier="bob@example.com", password="pw")
    assert (await core.login(identifier="ANN@example.com", password="pw")).user.email == "ann@example.com"


async def test_users_get_a_random_public_id_and_a_sequential_gid(core):
    first = (await core.register(phone="13800138000", password="pw")).user
    second = (await core.register(phone="13900139000", password="pw")).user
    assert (first.gid, second.gid) == (100001, 100002)
    assert re.fullmatch(r"[a-z]{16}", first.public_id) and first.public_id != second.public_id
    login = await core.login(identifier="13800138000", password="pw")
    assert login.user.public_id == first.public_id


async def test_a_public_id_clash_is_retried(core, monkeypatch):
    from facade.core import registration
    taken = (await core.register(phone="13800138000", password="pw")).user.public_id
    ids = iter([taken, "b" * 16])
    monkeypatch.setattr(registration.ids, "new_public_id", lambda: next(ids))
    assert (await core.register(phone="13900139000", password="pw")).user.public_id == "b" * 16


async def test_two_schemas_in_one_database_never_wait_on_each_others_claims(backend, storage_url):
    if backend != "postgresql":
        pytest.skip("schemas are PostgreSQL's")
    other_url = storage_url.rsplit("schema=", 1)[0] + "schema=" + storage_url.rsplit("schema=", 1)[1] + "_b"
    first, second = await open_store(storage_url), await open_store(other_url)
    try:
        holding = asyncio.Event()

        async def hold() -> None:
            async with first.write() as work:
                await work.claim("config:1")
                holding.set()
                await asyncio.sleep(1)
        held = asyncio.create_task(hold())
        await holding.wait()
        async with asyncio.timeout(0.5):
            async with second.write() as work:
                await work.claim("config:1")
        await held
    finally:
        await first.close()
        await second.close()
        from tests.rows import drop_schema
        drop_schema(other_url.split("?")[0], other_url.rsplit("schema=", 1)[1])
