"""A user's id in a legacy system's namespace: the one an import brought, else
one derived from the core's own fields, by the namespace's rule.

Namespaces are opaque names ("<dialect>.<id>"); the rules say what a user
the facade created shows there: its id, its gid, its public id or its phone.
An imported id always wins, and is unique in its namespace (the store keeps
that); an import also keeps derived ids from ever meeting imported ones.
"""
from __future__ import annotations

import secrets
import string
from typing import Callable, Literal

from facade.core.models import User
from facade.core.ports import Account, Identifier, Work

Rule = Literal["id", "gid", "public_id", "phone"]
GID_BASE = 100000  # gid = GID_BASE + id: sequential from 100001 with no second counter to keep
RULES: dict[str, Callable[[User | Account], int | str | None]] = {
    "id": lambda user: user.id,
    "gid": lambda user: GID_BASE + user.id,
    "public_id": lambda user: user.public_id,
    "phone": lambda user: user.phone,
}


def new_public_id() -> str:
    """16 random lowercase letters, uniformly: 26**16 ids, so a clash is a freak (the store refuses one
    anyway)."""
    return new_public_ids(1)[0]


def new_public_ids(count: int) -> list[str]:
    """``count`` public ids from one draw of random bytes (an import makes a million). Bytes below 234
    (9 x 26) taken modulo 26, the others dropped, so no letter is more likely than another."""
    letters = ""
    while len(letters) < 16 * count:
        letters += secrets.token_bytes(24 * count).translate(_LETTERS, _UNEVEN).decode("ascii")
    return [letters[i:i + 16] for i in range(0, 16 * count, 16)]


_LETTERS = bytes(string.ascii_lowercase.encode()[b % 26] for b in range(256))
_UNEVEN = bytes(range(234, 256))  # bytes that would make the first letters likelier


CLUSTERED = 4  # letters the public ids of one import batch share


def clustered_public_ids(count: int) -> list[str]:
    """``count`` public ids that start with the same CLUSTERED random letters, the rest drawn as above. An
    import's batch then lands in one place of the unique index on public ids, instead of on nearly every
    page of it, each of which the batch's commit writes again: a million users import 17% faster, with a
    third of the system time. 12 letters stay random (26**12 ids for a batch of 2,000). Ids that start
    alike tell only that their users were imported together, as the legacy ids beside them mostly do."""
    start = new_public_ids(1)[0][:CLUSTERED]
    return [start + rest[CLUSTERED:] for rest in new_public_ids(count)]


def shown(user: User | Account, namespace: str, rule: Rule) -> int | str | None:
    """The id ``user`` shows in ``namespace``: imported, else derived (as text, or the derived value's type)."""
    return user.legacy_ids.get(namespace) or RULES[rule](user)


async def holder(work: Work, namespace: str, rule: Rule, value: str) -> Account | None:
    """Who shows ``value`` in ``namespace``: an imported id first, then the derivation, provided
    the account it derives from has no imported id there (which would be what it shows)."""
    found = await work.users.find_by_legacy_id(namespace, value)
    if found is not None:
        return found
    derived = await _derived(work, rule, value)
    return derived if derived is not None and namespace not in derived.legacy_ids else None


async def _derived(work: Work, rule: Rule, value: str) -> Account | None:
    if rule == "public_id":
        return await work.users.find_by_public_id(value)
    if rule == "phone":
        return await work.users.find(Identifier("phone", value))
    if not value.isdigit() or len(value) > 18:
        return None
    number = int(value) - (GID_BASE if rule == "gid" else 0)
    return await work.users.get(number) if number > 0 else None
