"""Runs `facade import` through the real command, on descriptions and files a test writes."""
from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

from facade.cli import main
from tests.conftest import ROOT


class Importing:
    """Writes a description and its source files into a folder, and runs the command on them."""

    def __init__(self, folder: Path, storage_url: str, capsys) -> None:
        self.folder, self.url, self.capsys = folder, storage_url, capsys

    def write(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    async def run(self, description: str, *flags: str) -> tuple[int, str, str]:
        path = self.write("description.yaml", description)
        code = await asyncio.to_thread(main, ["import", str(path), *flags, "--config", str(ROOT / "config.yaml"),
                                              "--set", f"storage.url={self.url}"])
        printed = self.capsys.readouterr()
        return code, printed.out, printed.err
