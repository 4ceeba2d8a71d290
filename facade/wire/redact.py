"""One redaction for everything a comparison records: each differing field's example values, the
differing pairs kept whole (their request and both answers) and any log line that shows a value. No
value reaches a report, a log or a metric without passing through a Redaction.

What is secret is decided in three layers, each catching what the one before cannot know:

1. By what the mapping says a value is (Rules, read from the mapping by facade/upstream/secrets.py).
   ``pointers``: the places in an answer a template fills from the session token, a code, a password
   parameter or an app's secret; whatever sits there is masked whole, an object or a list too. The
   walk carries each value's place, so a differing field's example at ``/data`` (the whole data of a
   user the legacy server does not know) is masked at ``/data/authorization`` inside it. ``names``:
   the parameters, headers and cookies that carry passwords, codes, tokens and app secrets, and
   Authorization and Cookie always. As a safety net, any name holding a secret word (password, code,
   token, ...) is masked too, except at a place the mapping itself fills with no secret (``shown``):
   an envelope's ``code`` is its outcome's code, and the report must show 0 against 5000.
2. By value: every value layer 1 masked in one pair (the facade's answer, the legacy server's, the
   request) is a known secret of that pair, masked wherever else in the pair it appears, inside a
   longer text too: the live token in an answer that is no JSON and is compared as text, a password
   a legacy server echoes under a key the mapping never named. Known secrets shorter than
   ``MIN_KNOWN`` are not looked for elsewhere (they would mask every "0" of the report); they are
   masked at their own place all the same.
3. By shape, the last line, anywhere in a recorded text: JWTs, runs of 32 or more hex digits, and
   runs of 32 or more base64url characters mixing letters and digits: a legacy server's own tokens
   under names nobody declared. Applied everywhere rather than only under secret places because a
   place nobody declared is exactly where layers 1 and 2 are blind; what it costs is an md5 in a URL
   shown as ``***``, which no comparison needs to read.

Phone numbers and e-mail addresses are shown partly, ``138****8000`` and ``a***@example.com``:
enough to tell two apart, not enough to reach the user. Numbers (ids, counts, times) are shown as
they are; booleans and null too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from facade.wire.compare import escape

MASK = "***"
MIN_KNOWN = 4
# Parameter, header, cookie and key names that hold secrets whatever a mapping says of them.
SECRET_WORDS = ("password", "passwd", "pwd", "code", "token", "secret", "authorization", "cookie", "session")
ALWAYS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_TOKEN = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
                    r"|(?<![A-Za-z0-9_-])(?:[0-9A-Fa-f]{32,}|[A-Za-z0-9_-]{32,})(?![A-Za-z0-9_-])")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_PHONE = re.compile(r"(?<![0-9+])(\+?)(\d{7,15})(?![0-9])")  # in a user name too: e13800138000


@dataclass(frozen=True)
class Rules:
    """What a mapping says is secret in one route's requests and answers."""
    pointers: frozenset[str] = frozenset()  # JSON pointers in an answer whose value is masked whole
    shown: frozenset[str] = frozenset()  # JSON pointers the mapping fills with what is no secret
    names: frozenset[str] = frozenset()  # lower-case parameter, header and cookie names

    def secret_name(self, name: str) -> bool:
        lowered = name.lower()
        return lowered in self.names or lowered in ALWAYS or any(word in lowered for word in SECRET_WORDS)

    def hides(self, key: str, pointer: str | None, value: Any) -> bool:
        """A key's value masked by its name: a leaf only (a "session" object is walked into)."""
        return not isinstance(value, (dict, list)) and pointer not in self.shown and self.secret_name(key)


class Redaction:
    """One recorded pair's redaction: the rules, and the secrets the pair was found to hold."""

    def __init__(self, rules: Rules, known: Iterable[str] = ()) -> None:
        self._rules = rules
        self._known = sorted({k for k in known if len(k) >= MIN_KNOWN}, key=len, reverse=True)

    @classmethod
    def of(cls, rules: Rules, answers: Iterable[Any] = (), pairs: Iterable[tuple[str, str]] = ()) -> "Redaction":
        """``answers``: the pair's parsed JSON documents; ``pairs``: its request's (name, value)
        parameters, headers and cookies."""
        known: set[str] = set()
        for answer in answers:
            _walk(rules, answer, "", lambda v: known.update(_leaves(v)) or MASK, lambda v: v)
        known.update(value for name, value in pairs if rules.secret_name(name))
        return cls(rules, known)

    def value(self, value: Any, pointer: str | None = "") -> Any:
        """``value`` as it may be shown; ``pointer``: its place in an answer (None: in no answer)."""
        return _walk(self._rules, value, pointer, lambda v: MASK, self._leaf)

    def text(self, text: str) -> str:
        for secret in self._known:
            text = text.replace(secret, MASK)
        text = _TOKEN.sub(_token, text)
        return _PHONE.sub(_phone, _EMAIL.sub(r"\1***@\2", text))

    def pairs(self, pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
        return {name: MASK if self._rules.secret_name(name) else self.text(value) for name, value in pairs}

    def _leaf(self, value: Any) -> Any:
        return self.text(value) if isinstance(value, str) else value


def _walk(rules: Rules, value: Any, pointer: str | None, hide: Callable[[Any], Any],
          show: Callable[[Any], Any]) -> Any:
    if pointer is not None and pointer in rules.pointers:
        return hide(value)
    if isinstance(value, dict):
        shown = {}
        for key, item in value.items():
            here = None if pointer is None else f"{pointer}/{escape(key)}"
            shown[key] = hide(item) if rules.hides(str(key), here, item) else _walk(rules, item, here, hide, show)
        return shown
    if isinstance(value, list):
        return [_walk(rules, item, None if pointer is None else f"{pointer}/{i}", hide, show)
                for i, item in enumerate(value)]
    return show(value)


def _leaves(value: Any) -> Iterator[str]:
    """Every string or number inside ``value``, as text: what a masked value may be found as elsewhere."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        yield str(value)


def _token(found: re.Match[str]) -> str:
    run = found.group()
    if run.startswith("eyJ") or re.fullmatch(r"[0-9A-Fa-f]+", run):
        return MASK
    mixed = re.search(r"[0-9]", run) and re.search(r"[A-Za-z]", run)
    return MASK if mixed else run  # a long word is no token


def _phone(found: re.Match[str]) -> str:
    sign, digits = found.groups()
    head, tail = (3, 4) if len(digits) >= 11 else (2, 2)
    return f"{sign}{digits[:head]}****{digits[-tail:]}"
