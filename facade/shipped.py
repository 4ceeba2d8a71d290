"""Where the files the package ships are read from: the mappings of its dialects and the JSON schemas
the engine, the config, the contract cases and imports are checked against."""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # the installed facade package, with its data
ENGINE_SCHEMAS = PACKAGE / "schemas"
SHIPPED_MAPPINGS = PACKAGE / "mappings"
