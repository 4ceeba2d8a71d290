"""What a mapping may write as one name or a list of them."""
from __future__ import annotations


def as_tuple(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Mappings may write one name or a list of them."""
    return (value,) if isinstance(value, str) else tuple(value)
