"""What the bench scripts share: `facade serve` processes on loopback over a
fresh store of either backend, the dialects' client calls (tests/clients.py),
and a table printer. Every script is bounded: fixed counts, then it stops,
cleaning up its files and PostgreSQL schemas.

PostgreSQL is ``$FACADE_BENCH_POSTGRES``, else ``$FACADE_TEST_POSTGRES``, else
the local server at postgresql://postgres@127.0.0.1:5432/test.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: facade and tests/ import from the checkout

from tests.clients import AppPair, dialects, last_code  # noqa: E402
from tests.rows import PostgresRows, SqliteRows, drop_schema  # noqa: E402
from tests.servers import Served  # noqa: E402

__all__ = ["AppPair", "Bench", "bench", "dialects", "internal_errors", "last_code", "arguments", "table"]
POSTGRES = (os.environ.get("FACADE_BENCH_POSTGRES") or os.environ.get("FACADE_TEST_POSTGRES")
            or "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


class Bench:
    """A fresh store (a SQLite file or a PostgreSQL schema), its folder, and servers over it."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.folder = Path(tempfile.mkdtemp(prefix="facade-bench-"))
        self.schema = f"bench_{secrets.token_hex(4)}"
        self.url = (f"sqlite:///{self.folder / 'facade.db'}" if backend == "sqlite"
                    else f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}schema={self.schema}")
        self.outbox = self.folder / "outbox.jsonl"
        self.servers: list[Served] = []

    def sets(self, *extra: str, rounds: int = 4) -> list[str]:
        return [f"storage.url={self.url}", f"notify.outbox={self.outbox}", f"security.bcrypt_rounds={rounds}",
                "server.trusted_proxies=[127.0.0.1]", "logging.level=WARNING", *extra]

    async def serve(self, *extra: str, workers: int = 1, rounds: int = 4) -> Served:
        server = Served(*self.sets(*extra, rounds=rounds), args=("--workers", str(workers)), cwd=self.folder)
        self.servers.append(server)
        await server.healthy(timeout=60)
        return server

    def add_app(self) -> AppPair:
        printed = subprocess.run(
            [sys.executable, "-m", "facade", "apps", "add", "--name", "bench", "--config", str(ROOT / "config.yaml"),
             "--set", f"storage.url={self.url}"], check=True, capture_output=True, text=True, cwd=self.folder,
            env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
        pair = json.loads(printed)
        return AppPair(pair["app_id"], pair["app_secret"])

    def rows(self, sql: str, *args: object) -> list[dict]:
        reader = SqliteRows(self.folder / "facade.db") if self.backend == "sqlite" else PostgresRows(self.url)
        return reader(sql, *args)

    def messages_to(self, phone: str) -> int:
        if not self.outbox.exists():
            return 0
        return sum(json.loads(line)["to"] == phone for line in self.outbox.read_text(encoding="utf-8").splitlines())

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.backend == "postgresql":
            drop_schema(POSTGRES, self.schema)


@contextlib.contextmanager
def bench(backend: str) -> Iterator[Bench]:
    made = Bench(backend)
    try:
        yield made
    finally:
        made.close()


def arguments(doc: str) -> argparse.ArgumentParser:
    """A script's arguments: ``--backend`` (both, by default), and whatever it adds."""
    made = argparse.ArgumentParser(description=doc.splitlines()[0])
    made.add_argument("--backend", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    return made


def internal_errors(log: str) -> int:
    """Lines a server wrote for faults of its own (anything a client caused is logged below ERROR)."""
    return sum(("unexpected error" in line or line.startswith("Traceback")) for line in log.splitlines())


def table(rows: list[list[object]], header: list[str]) -> None:
    cells = [header, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for i, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
