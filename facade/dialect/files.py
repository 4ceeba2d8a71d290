"""Serves files the core keeps in the store: only names the core itself
makes, as the type the core recorded, and with a policy that lets a
browser run nothing in them."""
from __future__ import annotations

from aiohttp import web

from facade.core import images
from facade.keys import CORE

HEADERS = {"Content-Security-Policy": "default-src 'none'", "Cache-Control": "public, max-age=86400"}
FOLDERS = {"avatars": images.AVATARS}  # what a mapping's 'static' may serve -> the core's folder


def add_static(app: web.Application, prefix: str, serves: str) -> None:
    folder = FOLDERS[serves]

    async def serve(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        found = images.AVATAR_NAME.fullmatch(name) and await request.app[CORE].file(folder, name)
        if not found:  # only what the core itself stored
            raise web.HTTPNotFound()
        return web.Response(body=found.data, headers={**HEADERS, "Content-Type": found.media_type})

    app.router.add_get(f"{prefix}/{{name}}", serve)
