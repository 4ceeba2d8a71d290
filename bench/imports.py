"""`facade import` of many users from CSV, per backend: users per second, the
import process's peak memory, and that a second run and a dry run write nothing.

    python bench/imports.py [--backend sqlite|postgresql] [--rows 1000000]

The rows are express users (id, user name, mobile, an md5 hash kept as it is):
the import's own work, with no password to hash. The file is written once,
streamed, into a temporary folder that is removed at the end.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from harness import ROOT, arguments, bench, table

DESCRIPTION = """dialect: express
users:
  source: {path: users.csv, format: csv}
  fields:
    ids: {userId: $row.id}
    username: $row.user_name
    phone: $row.mobile
    password: {scheme: md5, value: $row.pwd}
"""


def write_users(folder: Path, rows: int) -> Path:
    with (folder / "users.csv").open("w", encoding="utf-8") as out:
        out.write("id,user_name,mobile,pwd\n")
        for i in range(1, rows + 1):
            out.write(f"{i},u{i},{13000000000 + i},{hashlib.md5(f'pw{i}'.encode()).hexdigest()}\n")
    (folder / "description.yaml").write_text(DESCRIPTION, encoding="utf-8")
    return folder / "description.yaml"


def run_import(url: str, description: Path, *flags: str) -> tuple[float, float, float, str]:
    """Seconds, the CPU seconds the process used (all its threads), its own peak RSS in MiB, and
    what it printed. Its output goes to files, so that the process is reaped here, with its usage."""
    out, err = description.parent / "stdout.txt", description.parent / "stderr.txt"
    start = time.perf_counter()
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "facade", "import", str(description), *flags,
                                    "--config", str(ROOT / "config.yaml"), "--set", f"storage.url={url}"],
                                   stdout=stdout, stderr=stderr, env={**os.environ, "PYTHONPATH": str(ROOT)})
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
    if process.returncode != 0:
        raise SystemExit(f"facade import failed:\n{err.read_text()}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read_text().strip()


def count_users(lab) -> int:
    return lab.rows("SELECT count(*) AS n FROM users")[0]["n"]


async def run(backend: str, rows: int) -> list[list[object]]:
    with bench(backend) as lab:
        description = write_users(lab.folder, rows)
        results = []
        for label, flags in (("dry run (empty store)", ("--dry-run",)), ("import", ()), ("second run", ()),
                             ("dry run (all there)", ("--dry-run",))):
            seconds, cpu, peak, printed = run_import(lab.url, description, *flags)
            results.append([backend, label, f"{rows / seconds:,.0f}", f"{cpu:.0f}", f"{peak:.0f}",
                            f"{count_users(lab):,}",
                            printed.split(": ", 1)[1].replace(" (dry run: nothing was written)", "")])
    return results


async def main(args) -> None:
    rows = [row for backend in args.backend for row in await run(backend, args.rows)]
    print(f"{args.rows:,} express users from CSV; CPU seconds and peak RSS are each import process's own")
    table(rows, ["backend", "run", "users/s", "CPU s", "peak MiB", "users after", "summary"])


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    asyncio.run(main(parser.parse_args()))
