"""Where the engine's own data lives: inside the installed package."""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]  # the installed facade package, with its data
ENGINE_SCHEMAS = PACKAGE / "schemas"
SHIPPED_MAPPINGS = PACKAGE / "mappings"
