"""Runs an import: rows in batches, each batch decided and written in one
transaction, so memory stays flat and a row is imported whole or not at all.

Each row is a new account, a merge into an account holding its phone, e-mail
address or username (``on_conflict``), the same row an earlier run of this
source imported (unchanged: a second run changes nothing), a duplicate of an
earlier row of this run (rejected, naming that row's line), or rejected for
a reason. A dry run makes every decision inside one transaction that is
rolled back at the end: the same summary, nothing written.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from itertools import islice
from pathlib import Path
from typing import AsyncIterator, Callable, Iterable, Iterator, TextIO

from facade.core import identifiers, ids
from facade.core.apps import Apps
from facade.core.ports import Account, Brought, NewSession, ProfileChange, Store, Work
from facade.core.service import token_hash
from facade.importing import sources
from facade.importing.description import Description, Sessions, Users
from facade.importing.rows import Candidate, RowError, candidate
from facade.importing.values import Row

# Rows per batch (one transaction): small enough that a batch's rows, accounts and decisions stay in the
# processor's cache between being made and being written. A million express users took 51 s in batches of
# 10,000 and 39 s in batches of 2,000 (1,000 and 500: no faster), with a peak of 146 and 102 MiB.
BATCH = 2_000
_HEX32 = frozenset("0123456789abcdef")


class ImportStopped(Exception):
    """on_conflict: fail met a conflict; batches before this one are kept (none, in a dry run)."""


@dataclass
class Summary:
    read: int = 0
    imported: int = 0
    merged: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0

    def line(self, part: str) -> str:
        return f"{part}: " + ", ".join(f"{f.name} {getattr(self, f.name):,}" for f in fields(self))


class Report:
    """Rejected rows, one JSON line each: part, line, reason (never a password or a hash)."""

    def __init__(self, out: TextIO | None) -> None:
        self._out = out

    def reject(self, summary: Summary, part: str, line: int, reason: str) -> None:
        summary.rejected += 1
        if self._out is not None:
            self._out.write(json.dumps({"part": part, "line": line, "reason": reason}, ensure_ascii=False) + "\n")


class Progress:
    """A line on a terminal, rewritten twice a second; nothing when there is no terminal."""

    def __init__(self, out: TextIO | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._out = out if out is not None and out.isatty() else None
        self._clock = clock
        self._started = self._shown = clock()

    def show(self, part: str, summary: Summary, total: int) -> None:
        now = self._clock()
        if self._out is None or now - self._shown < 0.5:
            return
        self._shown = now
        rate = summary.read / max(now - self._started, 1e-9)
        self._out.write(f"\r{part}: {summary.read:,}/{total:,} rows, {rate:,.0f}/s ")
        self._out.flush()

    def done(self) -> None:
        if self._out is not None:
            self._out.write("\n")


def check(description: Description) -> dict[str, int]:
    """Reads every source once, before anything is opened or written: how many rows each part has.
    Raises SourceError for a malformed file, a wrong record or a column the description needs."""
    totals = {}
    for part in (description.users, description.sessions):
        if part is not None:
            needed = part.columns() if part.source.format == "csv" else set()
            totals[type(part).__name__.lower()] = sources.check(part.source, needed)
    return totals


class Importer:
    def __init__(self, store: Store, description: Description, *, dry_run: bool = False,
                 report: Report | None = None, progress: Progress | None = None, session_ttl_max: int = 30 * 86400,
                 totals: dict[str, int] | None = None, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._totals = totals if totals is not None else check(description)
        self._description = description
        self._dry_run = dry_run
        self._report = report or Report(None)
        self._progress = progress or Progress(None)
        self._ttl_max = session_ttl_max
        self._clock = clock
        self._work: Work | None = None  # the one transaction of a dry run

    async def run(self) -> dict[str, Summary]:
        """Every part the description has, users before sessions (which name users)."""
        done: dict[str, Summary] = {}
        async with self._dry_scope():
            if self._description.apps:
                done["apps"] = await self._apps()
            if self._description.users:
                done["users"] = await self._users(self._description.users)
            if self._description.sessions:
                done["sessions"] = await self._sessions(self._description.sessions)
        return done

    @asynccontextmanager
    async def _dry_scope(self) -> AsyncIterator[None]:
        if not self._dry_run:
            yield
            return
        try:
            async with self._store.write() as work:
                self._work = work
                yield
                raise _RolledBack()
        except _RolledBack:
            pass
        finally:
            self._work = None

    @asynccontextmanager
    async def _batch(self) -> AsyncIterator[Work]:
        if self._work is not None:
            yield self._work
            return
        async with self._store.write() as work:
            yield work

    # Users.

    async def _users(self, users: Users) -> Summary:
        total = self._totals.get("users", 0)
        run = _run_id(self._description, users.source.path, self._clock())
        summary, now = Summary(), self._clock()
        for batch in _batches(sources.rows(users.source)):
            summary.read += len(batch)
            candidates, rejected = convert(users, batch, run, now)
            for line, reason in rejected:
                self._report.reject(summary, "users", line, reason)
            async with self._batch() as work:
                batch_ = _UsersBatch(work, users, run, self._reject(summary, "users"), summary, self._clock(),
                                     dry_run=self._dry_run)
                await batch_.apply(candidates)
            self._progress.show("users", summary, total)
        self._progress.done()
        return summary

    def _reject(self, summary: Summary, part: str) -> Callable[[int, str], None]:
        return lambda line, reason: self._report.reject(summary, part, line, reason)

    # Sessions: live legacy tokens, each a session under its hash, until it would have expired.

    async def _sessions(self, sessions: Sessions) -> Summary:
        total = self._totals.get("sessions", 0)
        summary = Summary()
        reject = self._reject(summary, "sessions")
        for batch in _batches(sources.rows(sessions.source)):
            summary.read += len(batch)
            async with self._batch() as work:
                seen: set[str] = set()
                for line, row in batch:
                    await self._session(work, sessions, line, row, seen, summary, reject)
            self._progress.show("sessions", summary, total)
        self._progress.done()
        return summary

    async def _session(self, work: Work, sessions: Sessions, line: int, row: Row, seen: set[str], summary: Summary,
                       reject: Callable[[int, str], None]) -> None:
        token, user, left = (value.of(row) for value in (sessions.token, sessions.user, sessions.expires_in))
        if not (isinstance(token, str) and len(token) == 32 and set(token) <= _HEX32):
            return reject(line, "token: not 32 lowercase hex digits")
        if not isinstance(left, (int, str)) or not str(left).lstrip("-").isdigit():
            return reject(line, "expires_in: not a whole number of seconds")
        hashed, now = token_hash(token), self._clock()
        if hashed in seen or await work.sessions.by_token(hashed) is not None:
            summary.unchanged += 1
            return
        if int(left) <= 0:  # Redis says -2 for a key gone and -1 for one that never expires: neither is live
            summary.skipped += 1
            return
        # Only an id an import brought: a token the legacy system issued was for its user, never for
        # whoever here shows the same number by derivation.
        holder = await work.users.find_by_legacy_id(sessions.id.namespace, str(user))
        if holder is None:
            return reject(line, f"user: nobody here was imported as {user!r} in {sessions.id.namespace}")
        if holder.sessions_revoked_at is not None:
            return reject(line, "user: their sessions were ended here (a password reset, a takeover)")
        seen.add(hashed)
        await work.sessions.open(NewSession(user_id=holder.id, token_hash=hashed, origin=self._description.dialect.name,
                                            app_id=None, device_key=None, device_info=None, created_at=now,
                                            expires_at=now + min(int(left), self._ttl_max)))
        summary.imported += 1

    # Apps: pairs shipped clients carry.

    async def _apps(self) -> Summary:
        summary = Summary()
        for i, pair in enumerate(self._description.apps, start=1):
            summary.read += 1
            async with self._batch() as work:
                held = await work.apps.get(pair.app_id)
                if held is not None:
                    if Apps.holds(held, pair.app_secret):
                        summary.unchanged += 1
                    else:
                        self._report.reject(summary, "apps", i, f"{pair.app_id} exists with another secret")
                    continue
                try:
                    await Apps.enter(work, pair.name, pair.app_id, pair.app_secret, self._clock())
                except ValueError as error:
                    self._report.reject(summary, "apps", i, str(error))
                    continue
                summary.imported += 1
        return summary


class _RolledBack(Exception):
    pass


def convert(users: Users, batch: list[tuple[int, Row]], run: str, now: float
            ) -> tuple[list[Candidate], list[tuple[int, str]]]:
    """A batch's rows as candidates, and the rows rejected with their reasons."""
    made, rejected = [], []
    for (line, row), public_id in zip(batch, ids.clustered_public_ids(len(batch)), strict=True):
        try:
            made.append(candidate(users, line, row, run, now, public_id))
        except RowError as error:
            rejected.append((line, str(error)))
    return made, rejected


class _UsersBatch:
    """The decisions and writes for one batch of candidates, inside one transaction."""

    def __init__(self, work: Work, users: Users, run: str, reject: Callable[[int, str], None], summary: Summary,
                 now: float, dry_run: bool = False) -> None:
        self._work, self._users, self._run, self._now, self._dry_run = work, users, run, now, dry_run
        self._reject, self._summary = reject, summary
        self._seen: dict[tuple[str, str], int] = {}  # a key this batch has placed -> its line
        self._joined: dict[int, int] = {}  # an account here a row of this batch joins -> that row's line
        # The namespace whose imported ids are the core's own ids where they are free (its rule is 'id').
        self._id_namespace = next((spec.namespace for spec, _ in users.ids.values() if spec.rule == "id"), None)

    async def apply(self, candidates: list[Candidate]) -> None:
        brought, known = await self._known(candidates)
        new, merges = [], []
        for made in candidates:
            decision = self._decide(made, brought, known)
            if decision == "new":
                new.append(made)
            elif isinstance(decision, Account):
                merges.append((made, decision))
        new, merges = await self._without_id_clashes(new, merges)
        numbered = await self._without_derived_clashes(list(zip(await self._core_ids(new), new, strict=True)),
                                                       [made for made, _ in merges])
        new = [made for _, made in numbered]
        await self._work.users.add_many([(number, made.account) for number, made in numbered])
        self._summary.imported += len(new)
        for made, account in merges:
            await self._merge(made, account)
        self._summary.merged += len(merges)

    async def _known(self, candidates: list[Candidate]
                     ) -> tuple[dict[tuple[str, str], Brought], dict[tuple[str, str], Account]]:
        """Who here already holds any candidate's legacy id, and the accounts holding any of its identifiers,
        by key. A row whose legacy id is held is decided by that alone (_decide): its identifiers are not
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
                known[(kind, _identifier_of(account, kind))] = account
        return brought, known

    def _decide(self, made: Candidate, brought: dict[tuple[str, str], Brought],
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
        if holder.imported_by and _same_source(holder.imported_by, self._run):
            self._summary.unchanged += 1
            return None
        return self._rejected(made, "its id is held by an account this source did not bring")

    def _conflict(self, made: Candidate, account: Account) -> Account | None:
        """The row names an account here by its phone, address or username. It may join that account
        only through a phone or address they share, and never an account that proved one the row does
        not also prove: a legacy row (and the sessions and ids it brings) is not proof of ownership."""
        if account.imported_by == self._run:
            return self._rejected(made, f"repeats line {account.imported_line}")
        if account.imported_by and _same_source(account.imported_by, self._run) and not made.account.legacy_ids:
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
        shared = _shared(made, account)
        if not shared - {"username"}:
            return self._rejected(made, "only its username is held here, by an account it cannot be shown to be")
        unproven_by_row = [k for k in ("phone", "email") if getattr(account, f"{k}_verified_at") is not None
                           and (k not in shared or k not in made.proven)]
        if unproven_by_row:
            return self._rejected(made, f"the account here proved its {unproven_by_row[0]}; this row does not")
        return account

    def _rejected(self, made: Candidate, reason: str) -> None:
        self._reject(made.line, reason)
        return None

    async def _without_id_clashes(self, new: list[Candidate], merges: list[tuple[Candidate, Account]]
                                  ) -> tuple[list[Candidate], list[tuple[Candidate, Account]]]:
        """An imported id must not equal what another user shows by derivation in its namespace:
        ids derived from the core's id are kept above every imported one (new users included),
        and accounts already showing one of the ids by derivation reject the row."""
        everyone = [*new, *(made for made, _ in merges)]
        floor = max((f for made in everyone for f in made.id_floors.values()), default=0)
        if floor and not self._dry_run:  # a sequence moved is not rolled back (PostgreSQL's setval)
            await self._work.users.keep_ids_above(floor)
        clashes = await self._derived_holders(everyone)
        if not clashes:
            return new, merges
        keep = lambda made: not any(key in clashes for key in made.account.legacy_ids.items())  # noqa: E731
        for made in everyone:
            if not keep(made):
                self._reject(made.line, "an account here already shows its id")
        return [m for m in new if keep(m)], [(m, a) for m, a in merges if keep(m)]

    async def _core_ids(self, new: list[Candidate]) -> list[int]:
        """A new user whose imported id derives from the core's id gets that very id when it is free (a
        migration from one system keeps its ids twice over, and new users carry on from them); the others
        get fresh ones, which the ids kept above every imported one (_without_id_clashes) keeps apart."""
        wanted = [made.id_floors.get(self._id_namespace) if self._id_namespace else None for made in new]
        taken = {a.id for a in await self._work.users.find_many("id", sorted({w for w in wanted if w}))}
        chosen: list[int | None] = []
        for number in wanted:
            free = number is not None and number > 0 and number not in taken
            chosen.append(number if free else None)
            taken |= {number} if free else set()
        fresh = iter(await self._work.users.next_ids(chosen.count(None)))
        return [number if number is not None else next(fresh) for number in chosen]

    async def _without_derived_clashes(self, numbered: list[tuple[int, Candidate]], merging: list[Candidate]
                                       ) -> list[tuple[int, Candidate]]:
        """A new user with no imported id in a namespace shows one derived from its core id there: that
        must not be an id another row of this batch, or an account here, brings (one row's imported gid
        100009, another row's id 9 with no gid, which derives gid 100009)."""
        derived = [(number, made, spec.namespace, str(ids.RULES[spec.rule](_Numbered(number))))
                   for number, made in numbered for spec, _ in self._users.ids.values()
                   if spec.rule in ("id", "gid") and spec.namespace not in made.account.legacy_ids]
        if not derived:
            return numbered
        brought = {item for made in (*(m for _, m in numbered), *merging) for item in made.account.legacy_ids.items()}
        for namespace in {ns for _, _, ns, _ in derived}:
            values = [value for _, _, ns, value in derived if ns == namespace]
            brought |= {(namespace, v) for v in await self._work.users.find_many_by_legacy_id(namespace, values)}
        clashing = {made.line for _, made, ns, value in derived if (ns, value) in brought}
        for line in sorted(clashing):
            self._reject(line, "the id it would show is another row's or account's")
        return [(number, made) for number, made in numbered if made.line not in clashing]

    async def _derived_holders(self, everyone: list[Candidate]) -> set[tuple[str, str]]:
        clashes: set[tuple[str, str]] = set()
        by_namespace = {(ns, spec.rule) for spec, _ in self._users.ids.values() for ns in [spec.namespace]}
        for namespace, rule in by_namespace:
            values = [made.account.legacy_ids[namespace] for made in everyone if namespace in made.account.legacy_ids]
            if not values:
                continue
            if rule == "public_id":
                accounts = await self._work.users.find_many("public_id", values)
            else:
                numbers = {int(v) - (ids.GID_BASE if rule == "gid" else 0) for v in values}
                accounts = await self._work.users.find_many("id", sorted(n for n in numbers if n > 0))
            clashes |= {(namespace, str(ids.RULES[rule](a))) for a in accounts if namespace not in a.legacy_ids}
        return clashes

    async def _merge(self, made: Candidate, account: Account) -> None:
        """The row's ids join the account holding its phone, address or username. If the legacy system
        proved an identifier the account here never did, the proven one wins: the account takes the
        row's password and its earlier sessions end (see the core's takeover)."""
        work, new, now = self._work, made.account, self._now
        await work.claim(f"user:{account.id}")
        for namespace, value in new.legacy_ids.items():
            await work.users.add_legacy_id(account.id, namespace, value)
        shared = _shared(made, account)
        unproven_here = {kind for kind in made.proven
                         if kind in shared and getattr(account, f"{kind}_verified_at") is None}
        if unproven_here:
            await work.users.set_password(account.id, new.password_hash, now)
            await work.sessions.revoke_all(account.id, now)
            await work.users.end_sessions(account.id, now)
        for kind in unproven_here:
            await work.users.set_verified(account.id, kind, now)
        missing = {name: getattr(new, name) for name in ("nickname", "gender", "birthday", "extra", "contact_email")
                   if getattr(account, name) is None and getattr(new, name) is not None}
        if missing:
            await work.users.change_profile(account.id, ProfileChange(**missing), now)
        await work.users.mark_imported(account.id, self._run, made.line)


@dataclass(frozen=True)
class _Numbered:
    """What a derivation rule reads of a user not yet stored: its core id."""
    id: int


def _shared(made: Candidate, account: Account) -> set[str]:
    """The kinds of identifier the row and the account hold with the same value."""
    return {kind for kind, value in made.identifiers.items() if _identifier_of(account, kind) == value}


def _identifier_of(account: Account, kind: str) -> str | None:
    """The account's identifier of ``kind``, in the form it is compared in."""
    if kind == "username":
        return identifiers.username_key(account.username) if account.username else None
    return getattr(account, kind)


def _run_id(description: Description, source: Path, now: float) -> str:
    """Which source and which run: rows another run of the same source brought are not imported twice."""
    return f"{_source_key(description, source)}:{now:.6f}"


def _source_key(description: Description, source: Path) -> str:
    return hashlib.sha256(f"{description.dialect.name}\0{source}".encode()).hexdigest()[:16]


def _same_source(run: str, other: str) -> bool:
    return run.split(":", 1)[0] == other.split(":", 1)[0]


def _batches(rows: Iterable[tuple[int, Row]]) -> Iterator[list[tuple[int, Row]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield batch

