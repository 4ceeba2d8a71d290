"""What a default install writes is its own, whatever the umask: the store's folder 0700, the database,
its journal files and the outbox 0600; and `facade serve` says so when others could read the key that
signs tokens."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import aiohttp
import pytest

from facade.storage_url import describe
from tests.clients import dialects
from tests.servers import Served

PHONE = "13800138000"
KEPT_KEY = "WARNING facade [-] security.jwt_secret is not set: tokens are signed with a key kept in the store"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def served_under(umask: int, folder: Path, *sets: str, env: dict[str, str] | None = None,
                 args: tuple[str, ...] = ()) -> Served:
    """`facade serve` started with ``umask``, its store and outbox under ``folder``/var (the default layout)."""
    before = os.umask(umask)  # the server process inherits it
    try:
        return Served("storage.url=sqlite:///var/data/facade.db", "notify.outbox=var/outbox.jsonl",
                      "security.bcrypt_rounds=4", *sets, cwd=folder, env=env, args=args)
    finally:
        os.umask(before)


@pytest.mark.parametrize("umask", [0o022, 0o000])
async def test_the_store_folder_and_every_file_written_are_private_whatever_the_umask(tmp_path, umask):
    server = served_under(umask, tmp_path)
    try:
        await server.healthy()
        async with aiohttp.ClientSession(server.base) as http:
            for dialect in dialects().values():
                if dialect.send_code is not None:
                    await dialect.send_code(http, PHONE)
            assert await dialects()["express"].ok(await dialects()["express"].register(http, PHONE, "s3cret-pw-1"))
        var = tmp_path / "var"
        written = {p.name: mode(p) for p in var.rglob("*")}
        assert written == {"data": 0o700, "facade.db": 0o600, "facade.db-wal": 0o600, "facade.db-shm": 0o600,
                           "outbox.jsonl": 0o600}
        assert mode(var) == 0o700
    finally:
        server.stop()
    assert KEPT_KEY not in server.log


async def test_a_kept_key_in_a_database_others_can_read_is_warned_of_once(tmp_path):
    database = tmp_path / "var" / "data" / "facade.db"
    database.parent.mkdir(parents=True)
    database.touch(0o644)  # made beforehand, readable by all: the server leaves its mode as it is
    database.chmod(0o644)
    server = served_under(0o022, tmp_path, args=("--workers", "2"))  # said by the parent, once
    await server.healthy()
    server.stop()
    assert server.log.count(KEPT_KEY) == 1
    assert (f"kept in the store, and {database} is readable by its group or others: whoever reads the key can "
            "mint tokens the dialects accept; in production give the key from the environment "
            "(FACADE_SECURITY__JWT_SECRET)\n") in server.log
    given = served_under(0o022, tmp_path, env={"FACADE_SECURITY__JWT_SECRET": "k" * 40})
    await given.healthy()
    given.stop()
    assert KEPT_KEY not in given.log and mode(database) == 0o644


@pytest.mark.every_backend
async def test_a_kept_key_is_warned_of_where_other_hosts_can_read_the_store(tmp_path, storage_url, backend):
    server = served_under(0o022, tmp_path, f"storage.url={storage_url}")
    await server.healthy()
    server.stop()
    if backend == "postgresql":  # any host with a login to the database can read the settings table
        assert server.log.count(f"{KEPT_KEY}, and every host with a login to {describe(storage_url)} can read "
                                "it: whoever reads the key can mint tokens") == 1
    else:  # the file this server made is its own
        assert KEPT_KEY not in server.log
