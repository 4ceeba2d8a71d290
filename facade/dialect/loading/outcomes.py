"""A table of what the dialect (or a route) says for each core outcome."""
from __future__ import annotations

from typing import Any

from facade.core.outcomes import OUTCOMES
from facade.dialect.declarations import AS, BODY, FACTS, OWN_KEYS, Envelope
from facade.dialect.loading.envelopes import check_slots
from facade.dialect.templates import check_refs, compile_template


def outcome_table(raw: dict[str, Any], failure: Envelope, where: str, settings: dict[str, Any],
                  dialect_level: bool = False) -> dict[str, dict[str, Any]]:
    table = {}
    for outcome_id, entry in raw.items():
        here = f"{where}.{outcome_id}"
        if outcome_id == "default":
            raise ValueError(f"{where}: no outcome is called 'default': envelope.failure.slots hold what every "
                             f"failure says unless an entry says otherwise")
        if outcome_id not in OUTCOMES:
            raise ValueError(f"{where}: unknown outcome {outcome_id!r}")
        if AS in entry and dialect_level:
            raise ValueError(f"{here}: 'as' belongs in a route's outcomes, which have a success to answer with")
        check_slots({k: v for k, v in entry.items() if k not in OWN_KEYS}, failure, here)
        own = {BODY: _own_body(entry[BODY], failure, here, settings)} if BODY in entry else {}
        table[outcome_id] = {**entry, **own}
    return table


def _own_body(raw: Any, failure: Envelope, where: str, settings: dict[str, Any]) -> Any:
    template = compile_template(raw, settings)
    try:
        check_refs(template, lambda path: len(path) == 1 and (path[0] in failure.slots or path[0] in FACTS))
    except ValueError as error:
        raise ValueError(f"{where}.body: {error} (have: {', '.join([*failure.slots, *FACTS])})") from None
    return template
