"""Each dialect's OpenAPI document, and a page to read it, served under /_facade/ on the admin listener.

A document is made from the loaded mapping the first time it is asked for,
then kept. The page's script and styles are Swagger UI's, served from the
openapi-ui-bundles package installed beside the facade, never from another
site; the page's policy lets it load nothing but this server's own files.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

import openapi_ui_bundles
from aiohttp import web

from facade.core.operations import signatures
from facade.core.service import UserCore
from facade.dialect.declarations import Dialect
from facade.dialect.openapi import document
from facade.keys import DIALECTS, DOCUMENTS

DOCUMENT_PATH = "/_facade/openapi/{dialect}.json"
PAGE_PATH = "/_facade/docs/{dialect}"
PAGES = Path(__file__).resolve().parent / "pages"
POLICY = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def text(dialect: Dialect) -> str:
    """The document as JSON text, as it is served and as `facade openapi` writes it."""
    return json.dumps(document(dialect, signatures(UserCore)), ensure_ascii=False, indent=2) + "\n"


def add_docs(app: web.Application) -> None:
    app[DOCUMENTS] = {}
    app.router.add_get("/_facade/docs/page.js", _script)
    app.router.add_static("/_facade/docs/ui", openapi_ui_bundles.swagger_ui.static_path)
    app.router.add_get(DOCUMENT_PATH, _document)
    app.router.add_get(PAGE_PATH, _page)


def _dialect(request: web.Request) -> Dialect:
    wanted = request.match_info["dialect"]
    found = next((d for d in request.app[DIALECTS] if d.name == wanted), None)
    if found is None:
        raise web.HTTPNotFound(text=f"no dialect {wanted!r} is served here")
    return found


async def _document(request: web.Request) -> web.Response:
    dialect = _dialect(request)
    made = request.app[DOCUMENTS]
    if dialect.name not in made:
        made[dialect.name] = text(dialect).encode("utf-8")
    return web.Response(body=made[dialect.name], content_type="application/json", charset="utf-8")


async def _page(request: web.Request) -> web.Response:
    dialect = _dialect(request)
    page = (PAGES / "docs.html").read_text(encoding="utf-8").replace("{dialect}", html.escape(dialect.name))
    return web.Response(text=page, content_type="text/html", charset="utf-8",
                        headers={"Content-Security-Policy": POLICY})


async def _script(request: web.Request) -> web.Response:
    return web.Response(body=(PAGES / "docs.js").read_bytes(), content_type="application/javascript",
                        charset="utf-8")
