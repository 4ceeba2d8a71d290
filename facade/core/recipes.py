"""Recipes: how a legacy system built a password digest, written as a small
expression and parsed here, never evaluated as Python.

    md5(md5(password) + salt)              Discuz / UCenter
    md5(login_name + password + salt)      RuoYi
    sha256(password + "{" + salt + "}")

Grammar (whitespace between tokens is ignored)::

    recipe := term ("+" term)*
    term   := FUNCTION "(" recipe ")" | NAME | STRING
    STRING := '"' (any character but '"' and '\\' | '\\"' | '\\\\')* '"'

A digest function (md5, sha1, sha256, sha512) takes the UTF-8 bytes of its
argument and gives lowercase hex text; ``upper``/``lower`` change the case of
text; ``+`` joins text. A name is ``password`` or another input named where
the recipe is parsed (a salt, a login name, ...). Every refusal is a
RecipeError naming the position (0-based, in characters) where reading
stopped. A recipe is at most MAX_LENGTH characters with functions nested at
most MAX_DEPTH deep, so a hostile description cannot ask for unbounded work.
"""
from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Callable, Collection, Mapping, Union

MAX_LENGTH = 512
MAX_DEPTH = 8


def _hexdigest(algorithm: str) -> Callable[[str], str]:
    return lambda text: hashlib.new(algorithm, text.encode("utf-8", "surrogatepass")).hexdigest()


DIGESTS: dict[str, Callable[[str], str]] = {name: _hexdigest(name) for name in ("md5", "sha1", "sha256", "sha512")}
HEX_LENGTHS = {name: hashlib.new(name).digest_size * 2 for name in DIGESTS}
FUNCTIONS: dict[str, Callable[[str], str]] = {**DIGESTS, "upper": str.upper, "lower": str.lower}


class RecipeError(ValueError):
    def __init__(self, problem: str, position: int) -> None:
        super().__init__(f"{problem} at position {position}")
        self.position = position


@dataclass(frozen=True)
class Text:
    value: str

    def evaluate(self, values: Mapping[str, str]) -> str:
        return self.value


@dataclass(frozen=True)
class Name:
    name: str

    def evaluate(self, values: Mapping[str, str]) -> str:
        return values[self.name]


@dataclass(frozen=True)
class Call:
    function: str
    argument: Node

    def evaluate(self, values: Mapping[str, str]) -> str:
        return FUNCTIONS[self.function](self.argument.evaluate(values))


@dataclass(frozen=True)
class Concat:
    parts: tuple[Node, ...]

    def evaluate(self, values: Mapping[str, str]) -> str:
        return "".join(part.evaluate(values) for part in self.parts)


Node = Union[Text, Name, Call, Concat]


@dataclass(frozen=True)
class Recipe:
    text: str
    root: Node
    names: frozenset[str]  # the names the recipe reads

    def evaluate(self, values: Mapping[str, str]) -> str:
        """``values`` holds every name in ``names``."""
        return self.root.evaluate(values)

    @property
    def digest(self) -> str | None:
        """The digest that makes the result, seen through upper()/lower(); None if the result
        is not a digest at all (a recipe such as ``password + salt`` keeps the password)."""
        node = self.root
        while isinstance(node, Call) and node.function not in DIGESTS:
            node = node.argument
        return node.function if isinstance(node, Call) else None


_TOKEN = re.compile(r'(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<string>")|(?P<symbol>[()+])')
_STRING_BODY = re.compile(r'(?:[^"\\]|\\["\\])*')
_ESCAPE = re.compile(r'\\(["\\])')


@functools.lru_cache(maxsize=256)
def _parse(text: str, names: frozenset[str]) -> Recipe:
    if len(text) > MAX_LENGTH:
        raise RecipeError(f"longer than {MAX_LENGTH} characters", MAX_LENGTH)
    reader = _Reader(text, names)
    root = reader.recipe(0)
    reader.end()
    return Recipe(text, root, frozenset(reader.used))


def parse(text: str, names: Collection[str]) -> Recipe:
    """``names`` are the inputs the recipe may read besides ``password``."""
    return _parse(text, frozenset(names) | {"password"})


class _Reader:
    """Recursive descent over ``text``, one token of lookahead; ``position`` is where the next
    token (or the whitespace before it) starts."""

    def __init__(self, text: str, names: frozenset[str]) -> None:
        self.text = text
        self.names = names
        self.position = 0
        self.used: set[str] = set()

    def recipe(self, depth: int) -> Node:
        parts = [self.term(depth)]
        while self._peek() == "+":
            self._take()
            parts.append(self.term(depth))
        return parts[0] if len(parts) == 1 else Concat(tuple(parts))

    def term(self, depth: int) -> Node:
        start, kind, token = self._take()
        if kind == "string":
            return self._string(start)
        if kind != "word":
            raise RecipeError(f"expected a name, a string or a function, found {_shown(token)}", start)
        if self._peek() == "(":
            return self._call(token, start, depth)
        if token in FUNCTIONS:
            raise RecipeError(f"{token} is a function: expected '(' after it", self._skip_space())
        if token not in self.names:
            raise RecipeError(f"unknown name '{token}' (known: {', '.join(sorted(self.names))})", start)
        self.used.add(token)
        return Name(token)

    def end(self) -> None:
        start, kind, token = self._take()
        if kind != "end":
            raise RecipeError(f"unexpected {_shown(token)} after the end of the recipe", start)

    def _call(self, function: str, start: int, depth: int) -> Node:
        if function not in FUNCTIONS:
            raise RecipeError(f"unknown function '{function}' (known: {', '.join(FUNCTIONS)})", start)
        if depth >= MAX_DEPTH:
            raise RecipeError(f"functions nested deeper than {MAX_DEPTH}", start)
        self._take()
        argument = self.recipe(depth + 1)
        closing, _, token = self._take()
        if token != ")":
            raise RecipeError(f"expected ')' to close {function}( at position {start}, found {_shown(token)}",
                              closing)
        return Call(function, argument)

    def _string(self, start: int) -> Text:
        body = _STRING_BODY.match(self.text, self.position)
        closing = body.end()
        if closing >= len(self.text):
            raise RecipeError("unterminated string", start)
        if not self.text.startswith('"', closing):
            raise RecipeError('unknown escape in a string (known: \\" and \\\\)', closing)
        self.position = closing + 1
        return Text(_ESCAPE.sub(r"\1", body.group()))

    def _peek(self) -> str | None:
        match = _TOKEN.match(self.text, self._skip_space())
        return match.group("symbol") if match else None

    def _take(self) -> tuple[int, str, str]:
        """(where the token starts, its kind, its text); kind 'end' at the end of the text, 'junk'
        for a character no token starts with."""
        start = self._skip_space()
        match = _TOKEN.match(self.text, self.position)
        if match is None:
            return (start, "end", "") if start >= len(self.text) else (start, "junk", self.text[start])
        self.position = match.end()
        return start, match.lastgroup, match.group()

    def _skip_space(self) -> int:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1
        return self.position


def _shown(token: str) -> str:
    return repr(token) if token else "the end of the recipe"
