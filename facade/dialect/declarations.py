"""A dialect as the engine holds it after start-up: parameters, routes and
envelopes, built from a mapping file and already checked."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

from jsonschema.protocols import Validator

from facade.core import ids
from facade.core.outcomes import InvalidParameter, MissingParameter, OutOfOrder, Outcome
from facade.dialect.sources import Inputs
from facade.dialect.templates import render
from facade.dialect.transforms import to_str

ABSENT = object()
PARAMS = "params"  # templates' name for the route's own parameters (``$params.password``)
IDS = "ids"  # templates' name for the dialect's ids of the user the operation returns (``$ids.userId``)
BODY, AS, SUCCESS = "body", "as", "success"  # an outcome entry's keys beside its slots, and what 'as' may say
DESCRIPTION = "description"
OWN_KEYS = (BODY, AS, DESCRIPTION)
FACTS = ("status", "method", "path", "timestamp")  # what an outcome's own body may name besides slots


@dataclass(frozen=True)
class Param:
    target: str
    name: str | None  # the first of ``names``: what a missing-parameter outcome names
    sources: tuple[str, ...]
    required: bool = True
    transforms: tuple[Callable[[Any], Any], ...] = ()
    default: Any = ABSENT
    choose: dict[str, Any] | None = None
    const: Any = ABSENT
    names: tuple[str, ...] = ()  # wire names tried in order (login by "uname" or else "phone")
    match: re.Pattern[str] | None = None  # the value is this pattern's one group in the text sent
    confirm: str | None = None  # a wire parameter that, when sent, must say the same as this value
    confirm_sources: tuple[str, ...] = ()  # where 'confirm' is read: the dialect's parameters' places
    description: str = ""
    gives: frozenset[type] | None = None  # the types it may pass on (None: not known before a request)

    def extract(self, inputs: Inputs) -> Any:
        """The value for the core, ABSENT if optional and not sent; raises outcomes."""
        if self.const is not ABSENT:
            return self.const
        raw = next((v for v in (read(inputs, self.sources, n) for n in self.names) if v is not None), None)
        if raw is None:
            if self.required:
                raise OutOfOrder(self.name) if self.sources == ("flow",) else MissingParameter(self.name)
            if self.default is ABSENT:
                return ABSENT
            raw = self.default
        value = self.convert(raw)
        self._confirm(inputs, value)
        return value

    def _confirm(self, inputs: Inputs, value: Any) -> None:
        """The wire's side and the flow's side of a value must agree when the wire sends its side."""
        if self.confirm is not None:
            said = read(inputs, self.confirm_sources, self.confirm)
            if said is not None and self.convert(said) != value:
                raise InvalidParameter(f"{self.confirm} does not say what {self.name} does")

    def convert(self, raw: Any) -> Any:
        value = raw
        if self.match is not None:
            found = self.match.fullmatch(to_str(value))
            if found is None:
                raise InvalidParameter(f"{self.name}: not of the form {self.match.pattern}")
            value = found.group(1)
        for transform in self.transforms:
            value = transform(value)
        return self._chosen(value) if self.choose is not None else value

    def _chosen(self, value: Any) -> Any:
        key = json.dumps(value) if not isinstance(value, str) else value
        if key not in self.choose:
            raise InvalidParameter(f"{self.name}: not one of {sorted(self.choose)}")
        return self.choose[key]


def _text(value: Any) -> bool:
    """Text a credential can be: a string that UTF-8 holds and a database stores (no lone surrogate, no NUL)."""
    try:
        return isinstance(value, str) and to_str(value) == value
    except InvalidParameter:
        return False


def read(inputs: Inputs, sources: tuple[str, ...], name: str) -> Any:
    """The first non-empty value among the sources; an empty ``?pwd=`` must
    not hide the ``pwd`` in the body."""
    for source in sources:
        value = inputs.get(source, name)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return value
    return None


@dataclass(frozen=True)
class Condition:
    """One ``when`` entry: a wire parameter's presence or exact value."""
    name: str
    sources: tuple[str, ...]
    equals: str | None = None
    present: bool | None = None

    def __str__(self) -> str:
        if self.present is not None:
            return f"{self.name} {'present' if self.present else 'absent'}"
        return f"{self.name}={self.equals}"

    def given(self, inputs: Inputs) -> bool:
        return read(inputs, self.sources, self.name) is not None

    def holds(self, inputs: Inputs) -> bool:
        if self.present is not None:
            return self.given(inputs) == self.present
        raw = read(inputs, self.sources, self.name)
        try:
            return raw is not None and to_str(raw) == self.equals
        except InvalidParameter:
            return False


@dataclass(frozen=True)
class Envelope:
    status: int
    slots: dict[str, Any]
    body: Any  # compiled template


@dataclass(frozen=True)
class FlowEffects:
    """What a route's success does to the client's flow: start a new one, keep
    values (templates over the result and parameters) in it, or end it."""
    start: bool = False
    keep: Any = None
    end: bool = False


@dataclass
class Route:
    name: str
    methods: tuple[str, ...]
    paths: tuple[str, ...]
    operation: str
    label: str
    conditions: tuple[Condition, ...] = ()
    params: tuple[Param, ...] = ()
    success: dict[str, Any] = field(default_factory=dict)
    failure: dict[str, Any] = field(default_factory=dict)  # slots for every failure, under its outcome's own
    data: Any = None
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    checks: tuple[Param, ...] = ()  # read and validated as the legacy server demanded, never passed on
    failure_template: Any = None  # this route's own failure body, when its shape differs from the dialect's
    max_body_bytes: int | None = None  # this route's own body limit (an upload's is larger)
    flow: FlowEffects | None = None
    validator: Validator | None = None
    supplied: tuple[str, ...] = ()  # engine-filled arguments the operation takes
    cookie: str | None = None  # "issue" or "clear": what success does to the session cookie
    raises: frozenset[str] = frozenset()  # every outcome id this route may answer: its operation's and the engine's
    writes: bool = False  # its operation writes (see facade.core.operations.operation)
    schema: Validator | None = None  # its response schema, compiled even when responses are not validated
    description: str = ""

    def matches(self, inputs: Inputs) -> bool:
        return all(c.holds(inputs) for c in self.conditions)

    def served(self) -> list[tuple[str, str]]:
        """Every method and path this route answers."""
        return [(method, path) for path in self.paths for method in self.methods]

    @cached_property
    def uses_flow(self) -> bool:
        return self.flow is not None or any("flow" in p.sources for p in (*self.params, *self.checks))

    def arguments(self, inputs: Inputs) -> dict[str, Any]:
        for check in self.checks:
            check.extract(inputs)
        values = ((p.target, p.extract(inputs)) for p in self.params)
        return {target: value for target, value in values if value is not ABSENT}


@dataclass(frozen=True)
class JsonStyle:
    separators: tuple[str, str]
    ascii: bool
    content_type: str

    def encode(self, body: Any) -> bytes:
        return json.dumps(body, ensure_ascii=self.ascii, separators=self.separators).encode("utf-8")


@dataclass(frozen=True)
class Carrier:
    """Where the session token travels, tried in order, its wire form, the
    cookie that carries it back when the dialect keeps its session in one, and
    the id a signed token names its holder by."""
    places: tuple[tuple[str, str], ...]
    token: str
    cookie: dict[str, Any] | None = None
    audience: IdSpec | None = None
    description: str = ""

    def find(self, inputs: Inputs) -> str | None:
        for source, name in self.places:
            value = inputs.get(source, name)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None


@dataclass(frozen=True)
class AppCredentials:
    """Where a dialect's calls carry their app id and secret."""
    id: tuple[str, tuple[str, ...]]      # wire name, sources
    secret: tuple[str, tuple[str, ...]]
    description: str = ""

    def read(self, inputs: Inputs) -> tuple[str | None, str | None]:
        """Each as text, or None: a JSON number or list is no credential, and says so as one."""
        values = (read(inputs, sources, name) for name, sources in (self.id, self.secret))
        return tuple(value if _text(value) else None for value in values)


@dataclass(frozen=True)
class IdSpec:
    """One of a dialect's ids: its namespace in the core, how a user without an imported one gets
    one, and how the wire carries it."""
    namespace: str
    rule: str
    type: str
    description: str = ""

    def of(self, user: Any) -> int | str | None:
        value = ids.shown(user, self.namespace, self.rule)
        if value is None:
            return None
        return int(value) if self.type == "integer" else str(value)


@dataclass
class Dialect:
    name: str
    file: str
    style: JsonStyle
    success: Envelope
    failure: Envelope
    outcomes: dict[str, dict[str, Any]]
    routes: list[Route]
    session: Carrier | None = None
    validator: Validator | None = None
    app: AppCredentials | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    flow_cookie: dict[str, Any] | None = None  # the cookie naming the client's flow
    static: tuple[tuple[str, str], ...] = ()  # (URL prefix, core folder) served as files
    ids: dict[str, IdSpec] = field(default_factory=dict)
    url_space: tuple[str, ...] = ()  # path prefixes whose unserved paths get no_route / wrong_method
    about: dict[str, Any] = field(default_factory=dict)  # real server, document, departures: documentation
    schema: Validator | None = None  # the response schema, compiled even when responses are not validated
    reads: tuple[str, ...] = ()  # where a parameter is read when its entry names no place
    description: str = ""
    setting_notes: dict[str, str] = field(default_factory=dict)  # each setting's description

    def owns(self, path: str) -> int:
        """How long a prefix of ``path`` is in this dialect's URL space (0: none)."""
        return max((len(p) for p in self.url_space
                    if path.startswith(p.rstrip("/") + "/") or path == p.rstrip("/")), default=0)

    def ids_of(self, user: Any) -> dict[str, int | str | None]:
        """What ``$ids.<name>`` shows for ``user``."""
        return {name: spec.of(user) for name, spec in self.ids.items()}

    def success_body(self, route: Route, context: dict[str, Any]) -> tuple[int, Any]:
        slots = {**self.success.slots, **route.success, "data": render(route.data, context)}
        return slots.pop("status", self.success.status), render(self.success.body, slots)

    def failure_body(self, outcome: type[Outcome], route: Route | None,
                     facts: dict[str, Any] | None = None) -> tuple[int, Any, bool]:
        """The status and body for ``outcome``, and whether the body is in the dialect's envelope (an
        entry's own 'body' is the legacy server's answer outside it). ``facts``: what an own body may
        name about the request."""
        entry = self._entry(outcome, route)
        if entry.get(AS) == SUCCESS and route is not None:
            return (*self.success_body(route, {}), True)
        slots = {**self.failure.slots, **(route.failure if route else {}),
                 **{k: v for k, v in entry.items() if k not in OWN_KEYS}}
        status = slots.pop("status", self.failure.status)
        if BODY in entry:
            return status, render(entry[BODY], {**slots, **(facts or {}), "status": status}), False
        body = route.failure_template if route and route.failure_template is not None else self.failure.body
        return status, render(body, slots), True

    def entry_note(self, outcome: type[Outcome], route: Route | None) -> str:
        """The description of the entry that says ``outcome`` on ``route``, if it has one."""
        return self._entry(outcome, route).get(DESCRIPTION, "")

    def _entry(self, outcome: type[Outcome], route: Route | None) -> dict[str, Any]:
        """The most specific entry for this outcome: its own id before its
        parents', and at each id the route's entry before the dialect's."""
        tables = (route.outcomes, self.outcomes) if route else (self.outcomes,)
        for outcome_id in outcome.chain():
            for table in tables:
                if outcome_id in table:
                    return table[outcome_id]
        return {}
