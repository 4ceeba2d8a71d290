"""The SQLite store and the core over it: uniqueness under races, sessions,
migrations. Written against the Store interface so a PostgreSQL store can
run the same tests."""
from __future__ import annotations

import asyncio
import re
import sqlite3

import pytest

from facade.core.outcomes import NoSuchUser, PhoneTaken, TokenInvalid, WrongPassword
from facade.store import Conflict, open_store
from facade.store.sqlite import MIGRATIONS
from tests.test_express import ALICE, BASE, OK, failure


async def test_a_race_of_two_registrations_for_one_phone_makes_one_user(client, rows):
    attempts = [client.post(f"{BASE}/userRegister/v1", data={**ALICE, "userName": f"user{i}"}) for i in range(2)]
    texts = sorted([await r.text() for r in await asyncio.gather(*attempts)])
    assert texts == sorted([OK, failure("手机号已被使用")])
    assert len(rows("SELECT * FROM users")) == 1


async def test_the_core_reports_a_lost_race_as_taken(core, store, monkeypatch):
    await core.register(phone="13800138000", password="pw")

    async def nobody(key, value):  # as if the other registration had not committed yet
        return None
    monkeypatch.setattr(store, "find_user", nobody)
    with pytest.raises(PhoneTaken):
        await core.register(phone="13800138000", password="pw")


async def test_unique_indexes_refuse_a_duplicate(store):
    row = {"phone": "13800138000", "password_hash": "x", "created_at": 0, "updated_at": 0}
    await store.insert_user(row)
    with pytest.raises(Conflict) as taken:
        await store.insert_user(row)
    assert taken.value.field == "phone"


async def test_a_write_that_fails_half_way_leaves_nothing_and_frees_the_next_writer(store, monkeypatch):
    real = store._db.commit

    async def fail():
        raise asyncio.CancelledError()  # as if the request were cancelled between insert and commit
    monkeypatch.setattr(store._db, "commit", fail)
    row = {"phone": "13800138000", "password_hash": "x", "created_at": 0, "updated_at": 0}
    with pytest.raises(asyncio.CancelledError):
        await store.insert_user(row)
    monkeypatch.setattr(store._db, "commit", real)
    assert await store.find_user("phone", "13800138000") is None
    await asyncio.wait_for(store.insert_user({**row, "phone": "13900139000"}), timeout=5)
    assert await store.find_user("phone", "13900139000") is not None


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


async def test_opening_twice_migrates_once_and_keeps_data(db_path):
    first = await open_store(f"sqlite:///{db_path}")
    await first.insert_user({"phone": "13800138000", "password_hash": "x", "created_at": 0, "updated_at": 0})
    await first.close()
    second = await open_store(f"sqlite:///{db_path}")
    assert (await second.find_user("phone", "13800138000"))["id"] == 1
    await second.close()
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)


async def test_only_known_columns_reach_sql(store):
    with pytest.raises(ValueError):
        await store.find_user("phone = '' OR 1=1 --", "x")


async def test_foreign_keys_are_enforced(store):
    with pytest.raises(sqlite3.IntegrityError):
        await store.insert_session({"user_id": 999, "token_hash": "h", "origin": "t",
                                    "created_at": 0, "expires_at": 1})


async def test_users_get_a_random_public_id_and_a_sequential_gid(core):
    first = (await core.register(phone="13800138000", password="pw")).user
    second = (await core.register(phone="13900139000", password="pw")).user
    assert (first.gid, second.gid) == (100001, 100002)
    assert re.fullmatch(r"[a-z]{16}", first.public_id) and first.public_id != second.public_id
    login = await core.login(identifier="13800138000", password="pw")
    assert login.user.public_id == first.public_id


async def test_a_public_id_clash_is_retried(core, monkeypatch):
    from facade.core import service
    await core.register(phone="13800138000", password="pw")
    taken = (await core.login(identifier="13800138000", password="pw")).user.public_id
    ids = iter([taken, "b" * 16])
    monkeypatch.setattr(service, "_public_id", lambda: next(ids))
    assert (await core.register(phone="13900139000", password="pw")).user.public_id == "b" * 16


async def test_the_public_id_migration_fills_rows_made_before_it(db_path):
    with sqlite3.connect(db_path.parent.mkdir(parents=True) or db_path) as db:
        db.executescript(MIGRATIONS[0] + "PRAGMA user_version=1;")
        db.execute("INSERT INTO users (phone, password_hash, created_at, updated_at) VALUES ('13800138000', 'x', 0, 0)")
    store = await open_store(f"sqlite:///{db_path}")
    row = await store.find_user("phone", "13800138000")
    await store.close()
    assert re.fullmatch(r"[a-z]{16}", row["public_id"])


async def test_a_failing_migration_changes_nothing_and_lets_the_process_exit(db_path, monkeypatch):
    from facade.store import sqlite as backend
    monkeypatch.setattr(backend, "MIGRATIONS", [*MIGRATIONS, "CREATE TABLE broken (;"])
    with pytest.raises(sqlite3.OperationalError):
        await open_store(f"sqlite:///{db_path}")
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
