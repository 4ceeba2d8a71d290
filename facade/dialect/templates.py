"""Response templates: YAML values whose string leaves may refer to data.

A leaf ``"$user.username"`` is replaced by that value from the render
context, and ``"$user.id|as_text"`` passes it through a filter from FILTERS
(how a dialect says its ids are strings on the wire); ``"$$x"`` is the
literal string ``"$x"``; ``{$first: [$user.username, $user.passport, ""]}``
is the first of its items that is not null (how a dialect fills a field the
core may not have); ``{$join: ["static/", $name]}`` is their text end to
end; ``{$choose: $user.gender, from: {"1": 0, "2": 1}, else: 0}`` is the
entry its value names (as text), else the ``else`` value (how a dialect says
the core's values in its own codes); ``{$if: setting, then: A, else: B}`` is A or B as the
dialect's boolean setting says, settled once at start-up; ``$settings.name`` is
that setting's value, also settled at start-up; everything else
is copied as it is. Templates are compiled once at start-up, where every
reference is checked against the names the context will hold, so nothing
is looked up by a string that was never checked, and nothing is ever
evaluated or formatted as JSON text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from facade.dialect.transforms import text_or_none, to_str

_REF = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)((?:\|[a-z_]+)*)")


def _epoch_ms(value: Any) -> Any:
    return None if value is None else int(value * 1000)


# Output filters, named apart from the input transforms; null stays null so a missing value is not turned into "None".
FILTERS: dict[str, Callable[[Any], Any]] = {
    "as_text": text_or_none,
    "as_epoch_ms": _epoch_ms,  # the core's epoch seconds as the integer milliseconds a JVM client reads
}
FIRST = "$first"
JOIN = "$join"
IF = "$if"
SETTINGS = "settings"


@dataclass(frozen=True)
class Ref:
    path: tuple[str, ...]
    filters: tuple[Callable[[Any], Any], ...] = ()

    def resolve(self, context: dict[str, Any]) -> Any:
        value: Any = context
        for part in self.path:
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
        for apply in self.filters:
            value = apply(value)
        return value


@dataclass(frozen=True)
class First:
    items: tuple[Any, ...]

    def resolve(self, context: dict[str, Any]) -> Any:
        for item in self.items:
            value = render(item, context)
            if value is not None:
                return value
        return None


@dataclass(frozen=True)
class Join:
    items: tuple[Any, ...]

    def resolve(self, context: dict[str, Any]) -> Any:
        """The items' text end to end; null if any is null (no "static/None")."""
        values = [render(item, context) for item in self.items]
        return None if any(v is None for v in values) else "".join(to_str(v) for v in values)


LISTS = {FIRST: First, JOIN: Join}  # {$first: [...]}, {$join: [...]}
CHOOSE = "$choose"


@dataclass(frozen=True)
class Choose:
    value: Any
    table: dict[str, Any]
    otherwise: Any

    @property
    def items(self) -> tuple[Any, ...]:
        return (self.value, *self.table.values(), self.otherwise)

    def resolve(self, context: dict[str, Any]) -> Any:
        value = render(self.value, context)
        key = None if value is None else to_str(value)
        return render(self.table[key], context) if key in self.table else render(self.otherwise, context)


def compile_template(raw: Any, settings: dict[str, Any] | None = None) -> Any:
    """Turns ``$`` leaves into Refs and settles ``$if`` by ``settings``; raises
    ValueError on a malformed template or an unknown setting."""
    settings = settings or {}
    if isinstance(raw, dict) and IF in raw:
        return compile_template(_settle(raw, settings), settings)
    if isinstance(raw, dict) and CHOOSE in raw:
        return _choose(raw, settings)
    for key, kind in LISTS.items():
        if isinstance(raw, dict) and key in raw:
            if len(raw) != 1 or not isinstance(raw[key], list) or not raw[key]:
                raise ValueError(f"{key} must be the only key, holding a non-empty list")
            return kind(tuple(compile_template(item, settings) for item in raw[key]))
    if isinstance(raw, dict):
        return {key: compile_template(value, settings) for key, value in raw.items()}
    if isinstance(raw, list):
        return [compile_template(value, settings) for value in raw]
    if isinstance(raw, str) and raw.startswith("$"):
        if raw.startswith("$$"):
            return raw[1:]
        match = _REF.fullmatch(raw)
        if not match:
            raise ValueError(f"malformed reference {raw!r}")
        path, names = tuple(match.group(1).split(".")), match.group(2).split("|")[1:]
        if path[0] == SETTINGS:
            return _setting(raw, path, names, settings)
        unknown = [n for n in names if n not in FILTERS]
        if unknown:
            raise ValueError(f"{raw!r}: unknown filter {unknown[0]!r} (have: {', '.join(FILTERS)})")
        return Ref(path, tuple(FILTERS[n] for n in names))
    return raw


def _choose(raw: dict[str, Any], settings: dict[str, Any]) -> Choose:
    if set(raw) != {CHOOSE, "from", "else"} or not isinstance(raw["from"], dict):
        raise ValueError(f"{CHOOSE} takes exactly: {CHOOSE} (a value), from (a mapping), else")
    if not all(isinstance(k, str) for k in raw["from"]):
        raise ValueError(f"{CHOOSE}: 'from' keys must be quoted strings (\"1\", not 1)")
    return Choose(compile_template(raw[CHOOSE], settings),
                  {k: compile_template(v, settings) for k, v in raw["from"].items()},
                  compile_template(raw["else"], settings))


def _setting(raw: str, path: tuple[str, ...], filters: list[str], settings: dict[str, Any]) -> Any:
    if len(path) != 2 or path[1] not in settings or filters:
        raise ValueError(f"{raw!r}: not a setting of this dialect (have: {', '.join(settings) or 'none'}); "
                         "settings take no filters")
    return settings[path[1]]


def _settle(raw: dict[str, Any], settings: dict[str, Any]) -> Any:
    if set(raw) != {IF, "then", "else"}:
        raise ValueError(f"{IF} takes exactly: {IF}, then, else")
    name = raw[IF]
    if not isinstance(settings.get(name), bool):
        have = ", ".join(k for k, v in settings.items() if isinstance(v, bool)) or "none"
        raise ValueError(f"{IF}: {name!r} is not a boolean setting of this dialect (have: {have})")
    return raw["then"] if settings[name] else raw["else"]


def refs(template: Any) -> Iterator[Ref]:
    if isinstance(template, Ref):
        yield template
    elif isinstance(template, (First, Join, Choose)):
        for item in template.items:
            yield from refs(item)
    elif isinstance(template, dict):
        for value in template.values():
            yield from refs(value)
    elif isinstance(template, list):
        for value in template:
            yield from refs(value)


def render(template: Any, context: dict[str, Any]) -> Any:
    if isinstance(template, (Ref, First, Join, Choose)):
        return template.resolve(context)
    if isinstance(template, dict):
        return {key: render(value, context) for key, value in template.items()}
    if isinstance(template, list):
        return [render(value, context) for value in template]
    return template


def check_refs(template: Any, known: Callable[[tuple[str, ...]], bool]) -> None:
    """Raises ValueError naming the first reference ``known`` rejects."""
    for ref in refs(template):
        if not known(ref.path):
            raise ValueError(f"unknown reference ${'.'.join(ref.path)}")
