"""Users in SQL, for every backend: their identifiers, their legacy ids (kept in user_ids, and copied on the
user as JSON), and the bulk look-ups and inserts an import makes."""
from __future__ import annotations

import json
from dataclasses import fields

from facade.core.ports import Account, Brought, Identifier, NewAccount, ProfileChange
from facade.store.sql.records import (Db, Row, column as _column, insert as _insert, names as _names, record as _record,
                                      values as _values)


IDENTIFIER_COLUMNS = {"username": "username_key", "phone": "phone", "email": "email"}
VERIFIED_COLUMNS = {"phone": "phone_verified_at", "email": "email_verified_at"}
PROFILE_COLUMNS = frozenset(f.name for f in fields(ProfileChange))


def _account(row: Row | None) -> Account | None:
    if row is None:
        return None
    account = _record(Account, row)
    account.legacy_ids = json.loads(account.legacy_ids) if account.legacy_ids else {}
    return account


class SqlUsers:
    _ADD = _insert("users", NewAccount, copies={"updated_at": "created_at"})
    _ADD_ID = "INSERT INTO user_ids (namespace, value, user_id) VALUES ($1, $2, $3)"
    _ADD_MANY = ("id", *_names(NewAccount), "updated_at")  # updated_at starts as created_at
    _CREATED = _names(NewAccount).index("created_at")

    def __init__(self, db: Db) -> None:
        self._db = db

    async def get(self, user_id: int) -> Account | None:
        return _account(await self._db.one("SELECT * FROM users WHERE id = $1", user_id))

    async def find(self, identifier: Identifier) -> Account | None:
        column = IDENTIFIER_COLUMNS[identifier.kind]
        return _account(await self._db.one(f"SELECT * FROM users WHERE {column} = $1", identifier.value))

    async def add(self, new: NewAccount) -> Account:
        account = _account(await self._db.one(self._ADD, *_values(new)))
        for namespace, value in new.legacy_ids.items():
            await self._db.run(self._ADD_ID, namespace, value, account.id)
        return account

    async def change_profile(self, user_id: int, change: ProfileChange, now: float) -> None:
        given = change.given()
        if not set(given) <= PROFILE_COLUMNS:  # names reach SQL text: only the fixed ones
            raise ValueError(f"not profile fields: {sorted(set(given) - PROFILE_COLUMNS)}")
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(given, start=3))
        await self._db.run(f"UPDATE users SET updated_at = $2, {assignments} WHERE id = $1",
                           user_id, now, *given.values())

    async def set_password(self, user_id: int, password_hash: str, now: float) -> None:
        await self._db.run("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
                           user_id, password_hash, now)

    async def set_verified(self, user_id: int, kind: str, now: float) -> None:
        column = VERIFIED_COLUMNS[kind]
        await self._db.run(f"UPDATE users SET {column} = $2 WHERE id = $1", user_id, now)

    async def end_sessions(self, user_id: int, now: float) -> None:
        await self._db.run("UPDATE users SET sessions_revoked_at = $2 WHERE id = $1", user_id, now)

    async def find_by_legacy_id(self, namespace: str, value: str) -> Account | None:
        return _account(await self._db.one("SELECT users.* FROM user_ids JOIN users ON users.id = user_ids.user_id "
                                           "WHERE user_ids.namespace = $1 AND user_ids.value = $2", namespace, value))

    async def find_by_public_id(self, public_id: str) -> Account | None:
        return _account(await self._db.one("SELECT * FROM users WHERE public_id = $1", public_id))

    async def legacy_id_exists(self, value: str) -> bool:
        return await self._db.one("SELECT 1 AS found FROM user_ids WHERE value = $1", value) is not None

    # Many at once, for imports: each look-up is one statement, whatever the batch's size.

    async def find_many(self, kind: str, values: list[str] | list[int]) -> list[Account]:
        if not values:
            return []
        column = {**IDENTIFIER_COLUMNS, "id": "id", "public_id": "public_id"}[kind]
        among, args = self._db.among(values, 1)
        rows = await self._db.all(f"SELECT * FROM users WHERE {column} {among}", *args)
        return [_account(row) for row in rows]

    async def find_many_by_legacy_id(self, namespace: str, values: list[str]) -> dict[str, Brought]:
        if not values:
            return {}
        among, args = self._db.among(values, 2)
        rows = await self._db.all("SELECT user_ids.value, users.id, users.imported_by, users.imported_line "
                                  "FROM user_ids JOIN users ON users.id = user_ids.user_id WHERE user_ids.namespace "
                                  f"= $1 AND user_ids.value {among}", namespace, *args)
        return {row["value"]: Brought(row["id"], row["imported_by"], row["imported_line"]) for row in rows}

    async def mark_imported(self, user_id: int, run: str, line: int) -> None:
        await self._db.run("UPDATE users SET imported_by = $2, imported_line = $3 WHERE id = $1", user_id, run, line)

    async def next_ids(self, count: int) -> list[int]:
        return await self._db.next_user_ids(count)

    async def keep_ids_above(self, floor: int) -> None:
        await self._db.keep_user_ids_above(floor)

    async def add_many(self, accounts: list[tuple[int, NewAccount]]) -> None:
        """Inserts users with the ids given (from ``next_ids``), their legacy ids too."""
        rows = []
        for user_id, new in accounts:
            values = _values(new)
            rows.append([user_id, *values, values[self._CREATED]])
        await self._db.insert_many("users", self._ADD_MANY, rows)
        await self._db.insert_many("user_ids", ("namespace", "value", "user_id"),
                                   [[namespace, value, user_id] for user_id, new in accounts
                                    for namespace, value in new.legacy_ids.items()])
        await self._db.grew(len(accounts))

    async def add_legacy_id(self, user_id: int, namespace: str, value: str) -> None:
        """The caller claims the user: the copy on the user is read, then written."""
        await self._db.run(self._ADD_ID, namespace, value, user_id)
        row = await self._db.one("SELECT legacy_ids FROM users WHERE id = $1", user_id)
        ids = {**json.loads(row["legacy_ids"] or "{}"), namespace: value}
        await self._db.run("UPDATE users SET legacy_ids = $2 WHERE id = $1", user_id, _column(ids))
