"""Runs an import: rows in batches, each batch decided and written in one
transaction, so memory stays flat and a row is imported whole or not at all.

Apps first, then users, then sessions (which name users). What each user row
becomes is decided in decisions.py, its ids in numbering.py, and a batch is
written by writing.py; report.py holds what the operator is told. A dry run
makes every decision inside one transaction that is rolled back at the end:
the same summary, nothing written.
"""
from __future__ import annotations

import time
from contextlib import asynccontextmanager
from itertools import islice
from typing import AsyncIterator, Callable, Iterable, Iterator

from facade.core import ids
from facade.core.apps import Apps
from facade.core.ports import NewSession, Store, Work
from facade.core.sessions import token_hash
from facade.importing import sources
from facade.importing.decisions import run_id
from facade.importing.description import Description, Sessions, Users
from facade.importing.report import Progress, Report, Summary
from facade.importing.rows import Candidate, RowError, candidate
from facade.importing.values import Row
from facade.importing.writing import UsersBatch

# What the command uses: the run, its output, and the stop on_conflict: fail makes.

# Rows per batch (one transaction): small enough that a batch's rows, accounts and decisions stay in the
# processor's cache between being made and being written. A million express users took 51 s in batches of
# 10,000 and 39 s in batches of 2,000 (1,000 and 500: no faster), with a peak of 146 and 102 MiB.
BATCH = 2_000
_HEX32 = frozenset("0123456789abcdef")


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
        run = run_id(self._description, users.source.path, self._clock())
        summary, now = Summary(), self._clock()
        for batch in _batches(sources.rows(users.source)):
            summary.read += len(batch)
            candidates, rejected = convert(users, batch, run, now)
            for line, reason in rejected:
                self._report.reject(summary, "users", line, reason)
            async with self._batch() as work:
                batch_ = UsersBatch(work, users, run, self._reject(summary, "users"), summary, self._clock(),
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


def _batches(rows: Iterable[tuple[int, Row]]) -> Iterator[list[tuple[int, Row]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield batch

