"""One batch of user rows written in its transaction: each row decided (decisions.py), the new
users numbered (numbering.py) and added at once, the merges written one by one."""
from __future__ import annotations

from typing import Callable

from facade.core.ports import Account, ProfileChange, Work
from facade.importing.decisions import Decisions, shared
from facade.importing.description import Users
from facade.importing.numbering import Numbering
from facade.importing.report import Summary
from facade.importing.rows import Candidate


class UsersBatch:
    """The decisions and writes for one batch of candidates, inside one transaction."""

    def __init__(self, work: Work, users: Users, run: str, reject: Callable[[int, str], None], summary: Summary,
                 now: float, dry_run: bool = False) -> None:
        self._work, self._run, self._now, self._summary = work, run, now, summary
        self._decisions = Decisions(work, users, run, reject, summary)
        self._numbering = Numbering(work, users, reject, dry_run)

    async def apply(self, candidates: list[Candidate]) -> None:
        decisions, numbering = self._decisions, self._numbering
        brought, known = await decisions.known(candidates)
        new, merges = [], []
        decide = decisions.decide
        for made in candidates:
            decision = decide(made, brought, known)
            if decision == "new":
                new.append(made)
            elif isinstance(decision, Account):
                merges.append((made, decision))
        new, merges = await numbering.without_id_clashes(new, merges)
        numbered = await numbering.without_derived_clashes(list(zip(await numbering.core_ids(new), new, strict=True)),
                                                           [made for made, _ in merges])
        new = [made for _, made in numbered]
        await self._work.users.add_many([(number, made.account) for number, made in numbered])
        self._summary.imported += len(new)
        for made, account in merges:
            await self._merge(made, account)
        self._summary.merged += len(merges)

    async def _merge(self, made: Candidate, account: Account) -> None:
        """The row's ids join the account holding its phone, address or username. If the legacy system
        proved an identifier the account here never did, the proven one wins: the account takes the
        row's password and its earlier sessions end (see the core's takeover)."""
        work, new, now = self._work, made.account, self._now
        await work.claim(f"user:{account.id}")
        for namespace, value in new.legacy_ids.items():
            await work.users.add_legacy_id(account.id, namespace, value)
        shared_kinds = shared(made, account)
        unproven_here = {kind for kind in made.proven
                         if kind in shared_kinds and getattr(account, f"{kind}_verified_at") is None}
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
