"""What is volatile in an answer: a value that differs every run, or between two servers answering
the same request, and so is compared for presence only (facade/wire/compare.py).

One rule, whoever compares. Volatile is what is declared so beside the mapping (a contract case's
``volatile`` pointers: a value its author knows the case cannot fix, such as a password echoed or
not as a setting says), and every place the mapping's templates fill with a fact of this request:
the session's token and expiry, the ids and file names a server makes, the code it sent, the
time it answered. Nothing else is: the fixed text of an envelope, and the slots an outcome fills
(its code, its message), are the mapping's own and must match, so a success's "200" against a
failure's "3201" is named even where a template writes both from a slot called ``code``.

Templates arrive as plain data, (JSON pointer, the reference paths filling that leaf) pairs, so this
module knows no template language.
"""
from __future__ import annotations

from typing import Iterable

Leaf = tuple[str, Iterable[tuple[str, ...]]]  # (JSON pointer, the reference paths that fill it)

# What a route's data may be filled from that the request made: its session (token, expiry), the
# ids, code and file name the server made for it, its time.
DATA_FACTS = frozenset({"token", "session", "ids", "code", "name", "timestamp"})
# What an envelope or an outcome's own body may be filled from that the request made; everything
# else there is a slot, the mapping's own text.
ENVELOPE_FACTS = frozenset({"timestamp"})


def pointers(declared: Iterable[str] = (), data: Iterable[Leaf] = (), envelopes: Iterable[Leaf] = ()
             ) -> frozenset[str]:
    """``declared``: pointers named volatile beside the mapping; ``data``: the leaves of a route's
    data, at their place in the answer; ``envelopes``: the leaves of the envelopes and outcome bodies."""
    return frozenset([*declared, *_filled(data, DATA_FACTS), *_filled(envelopes, ENVELOPE_FACTS)])


def _filled(leaves: Iterable[Leaf], facts: frozenset[str]) -> Iterable[str]:
    return (pointer for pointer, paths in leaves if any(path[0] in facts for path in paths))
