"""Where the files the facade ships are read from: the mappings with their contract cases, the schemas,
and the starter config.

They live at the top of the repository (`mappings/`, `schemas/`, `config.yaml`), where a reader of the
project sees the dialects first and an editable install reads them in place. Building a wheel copies
them into the package as `facade/shipped/` (setup.py), so an installed facade carries its own.
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
ROOT = _PACKAGE / "shipped" if (_PACKAGE / "shipped").is_dir() else _PACKAGE.parent
MAPPINGS = ROOT / "mappings"
SCHEMAS = ROOT / "schemas"
CONFIG = ROOT / "config.yaml"  # every key at its default, documented: what `facade init` writes
