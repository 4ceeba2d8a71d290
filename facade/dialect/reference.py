"""What a mapping may name, read from the core itself: each operation's arguments with their types,
the outcomes it may raise, and what its result offers templates. 'facade operations' prints it, and
the README carries it, so a migration engineer writes a mapping without reading Python."""
from __future__ import annotations

import typing

from facade.core.operations import ENGINE_SUPPLIED, Signature, nested_fields
from facade.core.outcomes import OUTCOMES
from facade.dialect.argtypes import described, writable


def operations_text(signatures: dict[str, Signature]) -> str:
    """Markdown: one section per operation, then the outcome ids."""
    parts = [_operation(signature) for _, signature in sorted(signatures.items())]
    parts.append(_outcomes())
    return "\n\n".join(parts) + "\n"


def _operation(signature: Signature) -> str:
    lines = [f"### {signature.name}", ""]
    taken = sorted(signature.accepted - set(ENGINE_SUPPLIED), key=lambda n: (n not in signature.required, n))
    for name in taken:
        need = "required" if name in signature.required else "optional"
        lines.append(f"- `{name}`: {described(_unwrapped(signature.hints[name]))}, {need}")
    supplied = sorted(signature.accepted & set(ENGINE_SUPPLIED))
    if supplied:
        lines.append(f"- filled by the engine: {', '.join(f'`{n}`' for n in supplied)}")
    shows = _shows(signature)
    lines.append(f"- templates may name: {', '.join(shows) if shows else 'nothing (an answer without data)'}")
    lines.append(f"- may raise: {', '.join(f'`{o}`' for o in sorted(signature.raises)) or 'nothing'}")
    return "\n".join(lines)


def _unwrapped(hint: typing.Any) -> typing.Any:
    """An optional argument's type without its None: not sending it is what 'optional' says."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if typing.get_origin(hint) is not typing.Literal and len(args) == 1 else hint


def _shows(signature: Signature) -> list[str]:
    names = []
    for field, hint in signature.result_fields().items():
        nested = nested_fields(hint)
        if nested:
            names += [f"`${field}.{inner}`" for inner, kind in nested.items() if writable(kind)]
        elif writable(hint):
            names.append(f"`${field}`")
    return names


def _outcomes() -> str:
    lines = ["### Outcome ids", "", "Each with its parent, whose entry says it when it has none of its own:", ""]
    for outcome_id, kind in OUTCOMES.items():
        parent = kind.chain()[1] if len(kind.chain()) > 1 else None
        doc = (kind.__doc__ or "").strip().split("\n")[0]
        lines.append(f"- `{outcome_id}`" + (f" (under `{parent}`)" if parent else "") + (f": {doc}" if doc else ""))
    return "\n".join(lines)
