"""`facade import` on source files that cannot be read as they are: each stops the import before the
store is opened, with `file: line N: reason` and exit 2, through the real command."""
from __future__ import annotations

import json

import pytest

from facade.importing.sources import LINE_LIMIT
from tests.test_import import EXPRESS

CSV = EXPRESS  # users.csv
JSONL = EXPRESS.replace("{path: users.csv, format: csv}", "{path: users.jsonl, format: jsonl}")
GOOD = {"id": 7, "user_name": "alice", "mobile": "13800138000", "pwd": "s3cret-1"}
LINE_1 = json.dumps(GOOD).encode() + b"\n"
DEEP = 100_000


@pytest.mark.parametrize("description, name, content, error", [
    pytest.param(JSONL, "users.jsonl", LINE_1 + b"[" * DEEP + b"]" * DEEP + b"\n",
                 "users.jsonl: line 2: not JSON this reads: nested too deep", id="deep-array"),
    pytest.param(JSONL, "users.jsonl", LINE_1 + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"\n",
                 "users.jsonl: line 2: not JSON this reads: nested too deep", id="deep-object"),
    pytest.param(JSONL, "users.jsonl", LINE_1 + b'{"id": 8, "user_name": "' + b"x" * LINE_LIMIT + b'"}\n',
                 f"users.jsonl: line 2: longer than {LINE_LIMIT} bytes", id="oversized-line"),
    pytest.param(JSONL, "users.jsonl", LINE_1 + b'{"id": 8, "user_name": "b\xffb"}\n' + LINE_1,
                 "users.jsonl: line 2: not readable: 'utf-8' codec can't decode byte 0xff", id="utf8-line-2"),
    pytest.param(JSONL, "users.jsonl", LINE_1 + LINE_1 + b'{"id": 9, "user_name": "\xe4\xb8"',
                 "users.jsonl: line 3: not readable: 'utf-8' codec can't decode bytes", id="utf8-cut-at-end"),
    pytest.param(CSV, "users.csv", b"id,user_name,mobile,pwd\n7,alice,13800138000,x\n8,b\xffb,13900139000,y\n",
                 "users.csv: line 3: not readable: 'utf-8' codec can't decode byte 0xff", id="csv-utf8-line-3"),
    pytest.param(CSV, "users.csv", b"id,user_name,mobile,pwd\n7,alice,13800138000," + b"x" * LINE_LIMIT + b"\n",
                 f"users.csv: line 2: longer than {LINE_LIMIT} bytes", id="csv-oversized-line"),
])
async def test_an_unreadable_line_stops_the_import_naming_its_own_line(importing, rows, description, name,
                                                                      content, error):
    (importing.folder / name).write_bytes(content)
    before = rows.snapshot()
    code, out, err = await importing.run(description)
    assert (code, out) == (2, "") and err.startswith(f"facade: import: {importing.folder / error}"), err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert rows.snapshot() == before


async def test_a_bom_and_lines_ending_in_crlf_still_read(importing, rows):
    (importing.folder / "users.jsonl").write_bytes(b"\xef\xbb\xbf" + LINE_1.replace(b"\n", b"\r\n"))
    code, out, err = await importing.run(JSONL)
    assert code == 0, err
    assert "read 1, imported 1" in out + err
