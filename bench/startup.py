"""Processes starting together on a fresh database: each must come up.

    python bench/startup.py [--backend sqlite|postgresql] [--rounds 20]

Per backend, ``--rounds`` times: a fresh store, two `facade serve` processes
started at the same instant over it; a round fails if either does not become
healthy. Prints the failures per backend (must be 0).
"""
from __future__ import annotations

import argparse
import asyncio

from harness import arguments, bench, table

from tests.servers import Served


async def round_(backend: str) -> int:
    with bench(backend) as lab:
        servers = [Served(*lab.sets(), cwd=lab.folder) for _ in range(2)]
        lab.servers += servers
        results = await asyncio.gather(*(s.healthy(timeout=60) for s in servers), return_exceptions=True)
        return sum(isinstance(r, BaseException) for r in results)


async def main(args: argparse.Namespace) -> None:
    rows = []
    for backend in args.backend:
        failures = [await round_(backend) for _ in range(args.rounds)]
        rows.append([backend, args.rounds, 2, sum(f > 0 for f in failures), 0])
    table(rows, ["backend", "rounds", "processes", "rounds with a failed start", "must be"])
    raise SystemExit(1 if any(row[3] for row in rows) else 0)


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(parser.parse_args()))
