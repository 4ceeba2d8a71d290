"""Import entries: {"scheme": ..., "value": ..., other keys}, with a row's values in them.
``check_spec`` checks a description's entry before any row is read; ``imported`` (or the
``Importer`` one description makes) turns an entry filled from a row into a stored hash."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import facade.core.recipes as recipes
from facade.core.hashers import digests, django, recipe, shiro, spring
from facade.core.hashers.own import OWN
from facade.core.hashers.reading import as_stored, choice
from facade.core.hashers.registry import AWAITING, SCHEMES


@dataclass(frozen=True)
class Entry:
    """How one kind of import entry becomes a stored hash. ``required`` and ``optional`` are
    its keys besides 'scheme'; ``check`` refuses, before any row is read, what no row could
    complete (it sees templates, not values, for what comes from rows); ``imported`` takes
    the entry with a row's values and returns the stored, tagged hash."""
    imported: Callable[[Mapping[str, Any]], str]
    required: frozenset[str] = frozenset({"value"})
    optional: frozenset[str] = frozenset()
    check: Callable[[Mapping[str, Any]], None] = lambda spec: None


def _plain_imported(spec: Mapping[str, Any]) -> str:
    return django.plain(spec["value"])


# What an entry's 'scheme' may name: each stored scheme whose values are kept as written,
# and the forms converted at import: plain (hashed by from_plain), the hex digests md5, sha1,
# sha256, sha512 (fixed recipes), Shiro's SimpleHash parts (into $shiro1$), Spring's {noop}.
_STORED_AS_IS = (OWN, "bcrypt", "django-pbkdf2", "passlib-pbkdf2", "md5-crypt", "sha256-crypt", "sha512-crypt",
                 "ldap", "argon2")
IMPORTS: dict[str, Entry] = {
    **{tag: Entry(functools.partial(as_stored, tag, SCHEMES[tag].format.read)) for tag in _STORED_AS_IS},
    "spring": Entry(spring.imported),
    "shiro": Entry(shiro.imported, optional=frozenset({"algorithm", "iterations", "salt", "salt_encoding"}),
                   check=shiro.check),
    "recipe": Entry(recipe.imported, required=frozenset({"value", "recipe"}), optional=frozenset({"inputs"}),
                    check=recipe.check),
    "plain": Entry(_plain_imported),
    AWAITING[:-1]: Entry(lambda spec: AWAITING, required=frozenset()),
    **{digest: Entry(functools.partial(digests.imported, digest), optional=frozenset({"salt", "salt_position"}),
                     check=functools.partial(digests.check, digest)) for digest in recipes.DIGESTS},
}


def _entry(spec: Mapping[str, Any]) -> tuple[str, Entry]:
    if not isinstance(spec, Mapping):
        raise ValueError("the password entry is not a mapping")
    name = spec.get("scheme")
    entry = choice(IMPORTS, name)
    if entry is None:
        raise ValueError(f"scheme is not one of {', '.join(IMPORTS)}")
    keys = set(spec) - {"scheme"}
    missing, unknown = entry.required - keys, keys - entry.required - entry.optional
    if missing:
        raise ValueError(f"{name}: missing {', '.join(sorted(missing))}")
    if unknown:
        raise ValueError(f"{name}: unknown keys {', '.join(sorted(map(str, unknown)))}")
    return name, entry


def check_spec(spec: Mapping[str, Any]) -> None:
    """Refuses, before any row is read, an entry no row could complete: an unknown scheme, a
    missing or unknown key, a recipe that does not parse, a parameter out of range. Values
    from rows are templates here and are not looked at."""
    name, entry = _entry(spec)
    _prefixed(name, entry.check, spec)


def imported(spec: Mapping[str, Any]) -> str:
    """The stored, tagged hash for an entry with a row's values filled in; ValueError(reason)
    when a value does not have its scheme's shape. Plain and {noop} passwords are hashed here."""
    name, entry = _entry(spec)
    return _prefixed(name, entry.imported, spec)


@dataclass(frozen=True)
class Importer:
    """``imported`` for one description's entry, checked once (see ``importer``): it takes a row's
    entry and skips re-reading what every row shares (an import has a million rows). Picklable,
    so processes converting rows in parallel can be handed one."""
    scheme: str

    def __call__(self, filled: Mapping[str, Any]) -> str:
        return _prefixed(self.scheme, IMPORTS[self.scheme].imported, filled)


def importer(spec: Mapping[str, Any]) -> Importer:
    """Checks the entry (check_spec) and returns what turns each row's filled-in entry into a hash."""
    name, entry = _entry(spec)
    _prefixed(name, entry.check, spec)
    return Importer(name)


def _prefixed(name: str, step: Callable[[Mapping[str, Any]], Any], spec: Mapping[str, Any]) -> Any:
    try:
        return step(spec)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
