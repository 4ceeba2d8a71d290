"""Each dialect's docs page, opened by a real browser (headless Chromium) on a real server
process, lists every operation of its document. .ci/run installs Chromium where it is missing."""
from __future__ import annotations

import asyncio
import html
import os
import re
import shutil

import aiohttp
import pytest

from facade.app import load_config_dialects
from facade.config import load
from tests.conftest import CONFIG_FILE
from tests.servers import Served

DIALECTS = load_config_dialects(load(str(CONFIG_FILE)))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OPERATION = re.compile(r'opblock-summary-method">([A-Z]+)</span>.*?data-path="([^"]+)"', re.S)
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="no chromium here (apt-get install chromium); CI installs it")


@pytest.fixture
async def server(tmp_path):
    served = Served(f"storage.url=sqlite:///{tmp_path}/f.db", "security.bcrypt_rounds=4", "logging.level=WARNING",
                    f"notify.outbox={tmp_path}/outbox.jsonl", cwd=tmp_path)
    try:
        await served.healthy()
        yield served
    finally:
        served.stop()


async def rendered(url: str, profile: str) -> str:
    """The page's DOM once its scripts have run: Chromium waits for the network to be idle."""
    assert CHROMIUM is not None, "CI must have chromium: .ci/run installs it"
    process = await asyncio.create_subprocess_exec(
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}",
        "--virtual-time-budget=15000", "--dump-dom", url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    out, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    return out.decode("utf-8")


@pytest.mark.parametrize("dialect", DIALECTS, ids=[d.name for d in DIALECTS])
async def test_the_docs_page_lists_every_operation(server, tmp_path, dialect):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.admin}/_facade/openapi/{dialect.name}.json") as response:
            document = await response.json()
    wanted = {(method.upper(), path) for path, item in document["paths"].items() for method in item
              if method in METHODS}
    dom = await rendered(f"{server.admin}/_facade/docs/{dialect.name}", str(tmp_path / "profile"))
    listed = {(method, html.unescape(path)) for method, path in OPERATION.findall(dom)}
    assert listed == wanted
    for route in dialect.routes:
        assert f'data-tag="{route.name}"' in dom, route.name  # each route's own section
