"""Values in a case: a string that is wholly ``$name`` or ``$name.path`` takes that variable's value
(fresh identifiers, the app pair, captures, the last code, a repeated step's ``$index``), ``|base64``
after it encodes the text as base64 (some clients send identifiers so), ``|str`` makes it text;
``$$`` starts a literal ``$``; ``{$text: v, times: N}`` is v written N times (a value at a size
limit). Nothing else is evaluated."""
from __future__ import annotations

import base64
import re
import secrets
from typing import Any

_REF = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)((?:\|[a-z0-9_]+)*)")
FILTERS = {"base64": lambda text: base64.b64encode(str(text).encode("utf-8")).decode("ascii"),
           "str": str}


class Unknown(Exception):
    """A case names a variable nothing set."""


def fresh() -> dict[str, str]:
    """Identifiers no earlier run used: a case registers its own users on any server."""
    tag = secrets.token_hex(4)
    digits = lambda: "".join(secrets.choice("0123456789") for _ in range(8))  # noqa: E731
    return {"phone": "139" + digits(), "phone2": "137" + digits(), "username": f"c{tag}",
            "username2": f"d{tag}", "email": f"c{tag}@example.com", "email2": f"d{tag}@example.com"}


def resolve(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, dict) and set(value) == {"$text", "times"}:  # a long value, not written out
        return str(resolve(value["$text"], variables)) * int(value["times"])
    if isinstance(value, dict):
        return {resolve(k, variables): resolve(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(item, variables) for item in value]
    if not isinstance(value, str) or not value.startswith("$"):
        return value
    if value.startswith("$$"):
        return value[1:]
    found = _REF.fullmatch(value)
    if found is None:
        return value
    result: Any = variables
    for part in found.group(1).split("."):
        if not isinstance(result, dict) or part not in result:
            raise Unknown(found.group(1))
        result = result[part]
    for name in filter(None, found.group(2).split("|")):
        result = FILTERS[name](result)
    return result
