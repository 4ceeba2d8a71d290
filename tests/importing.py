"""Runs `facade import` through the real command, on descriptions and files a test writes."""
from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

from facade.cli import main
from tests.conftest import CONFIG_FILE


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
        code = await asyncio.to_thread(main, ["import", str(path), *flags, "--config", str(CONFIG_FILE),
                                              "--set", f"storage.url={self.url}"])
        printed = self.capsys.readouterr()
        store, _, rest = printed.err.partition("\n")
        if store.startswith("facade: store "):  # the command names the store it opened, then says the rest
            assert store.startswith(f"facade: store {self.url.split('?')[0].replace('postgres@', 'postgres@')}")
            return code, printed.out, rest
        return code, printed.out, printed.err
