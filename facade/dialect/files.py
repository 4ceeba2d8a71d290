"""Serves files the core keeps: only names the core itself makes, as the type
their extension says, and with a policy that lets a browser run nothing in them."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from facade.core import images

HEADERS = {"Content-Security-Policy": "default-src 'none'", "Cache-Control": "public, max-age=86400"}
FOLDERS = {"avatars": images.AVATARS}  # what a mapping's 'static' may serve -> the core's folder


def add_static(app: web.Application, prefix: str, files: Path, serves: str) -> None:
    directory = files / FOLDERS[serves]

    async def serve(request: web.Request) -> web.FileResponse:
        name = request.match_info["name"]
        found = images.AVATAR_NAME.fullmatch(name)
        path = directory / name
        if found is None or path.is_symlink() or not path.is_file():  # only what the core itself wrote
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={**HEADERS, "Content-Type": images.MEDIA_TYPES[found.group(1)]})

    app.router.add_get(f"{prefix}/{{name}}", serve)
