"""YAML as data only: the safe loader, in C when PyYAML was built with libyaml
(several times faster on the mappings, which every start-up reads)."""
from __future__ import annotations

from typing import Any

import yaml

_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=_SAFE)  # noqa: S506 -- a safe loader, C or Python
