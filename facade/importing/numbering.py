"""The ids a batch's users get and show. An imported id must not equal what another user shows
by derivation in its namespace; a new user whose imported id derives from the core's id gets
that very id where it is free."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from facade.core import ids
from facade.core.ports import Account, Work
from facade.importing.description import Users
from facade.importing.rows import Candidate


@dataclass(frozen=True)
class _Numbered:
    """What a derivation rule reads of a user not yet stored: its core id."""
    id: int


class Numbering:
    """The id checks and choices for one batch, inside its transaction."""

    def __init__(self, work: Work, users: Users, reject: Callable[[int, str], None], dry_run: bool) -> None:
        self._work, self._users, self._reject, self._dry_run = work, users, reject, dry_run
        # The namespace whose imported ids are the core's own ids where they are free (its rule is 'id').
        self._id_namespace = next((spec.namespace for spec, _ in users.ids.values() if spec.rule == "id"), None)

    async def without_id_clashes(self, new: list[Candidate], merges: list[tuple[Candidate, Account]]
                                 ) -> tuple[list[Candidate], list[tuple[Candidate, Account]]]:
        """Ids derived from the core's id are kept above every imported one (new users included),
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

    async def core_ids(self, new: list[Candidate]) -> list[int]:
        """A new user whose imported id derives from the core's id gets that very id when it is free (a
        migration from one system keeps its ids twice over, and new users carry on from them); the others
        get fresh ones, which the ids kept above every imported one (without_id_clashes) keeps apart."""
        wanted = [made.id_floors.get(self._id_namespace) if self._id_namespace else None for made in new]
        taken = {a.id for a in await self._work.users.find_many("id", sorted({w for w in wanted if w}))}
        chosen: list[int | None] = []
        for number in wanted:
            free = number is not None and number > 0 and number not in taken
            chosen.append(number if free else None)
            taken |= {number} if free else set()
        fresh = iter(await self._work.users.next_ids(chosen.count(None)))
        return [number if number is not None else next(fresh) for number in chosen]

    async def without_derived_clashes(self, numbered: list[tuple[int, Candidate]], merging: list[Candidate]
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
