"""What each user row of a batch is: a new account, a merge into an account holding its phone,
e-mail address or username (``on_conflict``), the same row an earlier run of this source
imported (unchanged), a duplicate of an earlier row of this run (rejected, naming that row's
line), or rejected for a reason. Decided from what the store holds, read once per batch."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

from facade.core import identifiers
from facade.core.ports import Account, Brought, Work
from facade.importing.description import Description, Users
from facade.importing.report import Summary
from facade.importing.rows import Candidate


class ImportStopped(Exception):
    """on_conflict: fail met a conflict; batches before this one are kept (none, in a dry run)."""


class Decisions:
    """The decisions for one batch of candidates, inside its transaction."""

    def __init__(self, work: Work, users: Users, run: str, reject: Callable[[int, str], None],
                 summary: Summary) -> None:
        self._work, self._users, self._run = work, users, run
        self._reject, self._summary = reject, summary
        self._seen: dict[tuple[str, str], int] = {}  # a key this batch has placed -> its line
        self._joined: dict[int, int] = {}  # an account here a row of this batch joins -> that row's line

    async def known(self, candidates: list[Candidate]
                    ) -> tuple[dict[tuple[str, str], Brought], dict[tuple[str, str], Account]]:
        """Who here already holds any candidate's legacy id, and the accounts holding any of its identifiers,
        by key. A row whose legacy id is held is decided by that alone (decide): its identifiers are not
        looked up, which spares a second run of a source all but one look-up, and reading whole accounts."""
        brought: dict[tuple[str, str], Brought] = {}
        for namespace in {ns for made in candidates for ns in made.account.legacy_ids}:
            values = [made.account.legacy_ids[namespace] for made in candidates if namespace in made.account.legacy_ids]
            for value, holder in (await self._work.users.find_many_by_legacy_id(namespace, values)).items():
                brought[(namespace, value)] = holder
        unknown = [made for made in candidates if brought.keys().isdisjoint(made.account.legacy_ids.items())]
        known: dict[tuple[str, str], Account] = {}
        for kind in ("username", "phone", "email"):
            values = [made.identifiers[kind] for made in unknown if kind in made.identifiers]
            for account in await self._work.users.find_many(kind, values):
                known[(kind, identifier_of(account, kind))] = account
        return brought, known

    def decide(self, made: Candidate, brought: dict[tuple[str, str], Brought],
               known: dict[tuple[str, str], Account]) -> str | Account | None:
        keys, seen = made.keys(), self._seen
        if not seen.keys().isdisjoint(keys):  # asked at C speed, as the keys are added: a million rows pass here
            return self._rejected(made, f"repeats line {next(seen[key] for key in keys if key in seen)}")
        by_id = [brought[item] for item in made.account.legacy_ids.items() if item in brought]
        holders = {known[key].id: known[key] for key in made.identifiers.items() if key in known}
        seen.update(dict.fromkeys(keys, made.line))
        if by_id:
            return self._again(made, by_id[0])
        if len(holders) > 1:
            return self._rejected(made, "its identifiers belong to different accounts here")
        if not holders:
            return "new"
        account = self._conflict(made, next(iter(holders.values())))
        if isinstance(account, Account):
            earlier = self._joined.setdefault(account.id, made.line)
            if earlier != made.line:  # two legacy rows, one account here (one by phone, one by address)
                return self._rejected(made, f"joins the account here that line {earlier} joins")
        return account

    def _again(self, made: Candidate, holder: Brought) -> None:
        """The row's legacy id is here: a duplicate in this run, or what an earlier run brought."""
        if holder.imported_by == self._run:
            return self._rejected(made, f"repeats line {holder.imported_line}")
        if holder.imported_by and same_source(holder.imported_by, self._run):
            self._summary.unchanged += 1
            return None
        return self._rejected(made, "its id is held by an account this source did not bring")

    def _conflict(self, made: Candidate, account: Account) -> Account | None:
        """The row names an account here by its phone, address or username. It may join that account
        only through a phone or address they share, and never an account that proved one the row does
        not also prove: a legacy row (and the sessions and ids it brings) is not proof of ownership."""
        if account.imported_by == self._run:
            return self._rejected(made, f"repeats line {account.imported_line}")
        if account.imported_by and same_source(account.imported_by, self._run) and not made.account.legacy_ids:
            self._summary.unchanged += 1
            return None
        policy = self._users.on_conflict
        if policy == "fail":
            raise ImportStopped(f"line {made.line}: its phone, e-mail address or username is held here "
                                "(on_conflict: fail)")
        if policy == "skip":
            self._summary.skipped += 1
            return None
        clash = next((ns for ns in made.account.legacy_ids if ns in account.legacy_ids), None)
        if clash is not None:
            return self._rejected(made, f"the account here shows another id in {clash}")
        shared_kinds = shared(made, account)
        if not shared_kinds - {"username"}:
            return self._rejected(made, "only its username is held here, by an account it cannot be shown to be")
        unproven_by_row = [k for k in ("phone", "email") if getattr(account, f"{k}_verified_at") is not None
                           and (k not in shared_kinds or k not in made.proven)]
        if unproven_by_row:
            return self._rejected(made, f"the account here proved its {unproven_by_row[0]}; this row does not")
        return account

    def _rejected(self, made: Candidate, reason: str) -> None:
        self._reject(made.line, reason)
        return None


def shared(made: Candidate, account: Account) -> set[str]:
    """The kinds of identifier the row and the account hold with the same value."""
    return {kind for kind, value in made.identifiers.items() if identifier_of(account, kind) == value}


def identifier_of(account: Account, kind: str) -> str | None:
    """The account's identifier of ``kind``, in the form it is compared in."""
    if kind == "username":
        return identifiers.username_key(account.username) if account.username else None
    return getattr(account, kind)


def run_id(description: Description, source: Path, now: float) -> str:
    """Which source and which run: rows another run of the same source brought are not imported twice."""
    return f"{_source_key(description, source)}:{now:.6f}"


def _source_key(description: Description, source: Path) -> str:
    return hashlib.sha256(f"{description.dialect.name}\0{source}".encode()).hexdigest()[:16]


def same_source(run: str, other: str) -> bool:
    return run.split(":", 1)[0] == other.split(":", 1)[0]
