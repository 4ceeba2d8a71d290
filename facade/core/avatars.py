"""Avatars: images a client uploads, redrawn and kept under names this server makes, within an
hourly budget per client; and the files the core keeps, to serve."""
from __future__ import annotations

import asyncio
import secrets

import facade.core.images as images
from facade.core.codes import HOUR
from facade.core.flows import flow_id
from facade.core.models import StoredFile
from facade.core.operations import operation
from facade.core.outcomes import InvalidImage, InvalidParameter, RateLimited
from facade.core.parts import Parts
from facade.core.ports import File, Work

DECODERS = 2  # images decoded at once, in threads: a small file may take a third of a second


class Avatars(Parts):
    @operation(InvalidImage, InvalidParameter, RateLimited, writes=True)
    async def store_avatar(self, *, image: bytes, filename: str = "", flow: str | None = None,
                           client: str | None = None) -> StoredFile:
        """Keeps an image under a name this server makes; InvalidImage unless it is one, or if
        the client's ``filename`` for it says it is something else. Uploaded within a flow, it
        replaces that flow's previous upload: one current avatar per flow. A ``client`` uploads at
        most the upload budget's bytes an hour (rate_limited beyond), so no one fills the store."""
        images.check_filename(filename)
        async with self._decoding:  # off the event loop, and only a few at once
            image, extension = await asyncio.to_thread(self._redraw, image, self._image_pixels)
        name = f"{secrets.token_hex(16)}.{extension}"
        held_by = flow_id(flow) if flow else None
        now = self._clock()
        async with self._store.write() as work:
            # concurrent uploads in one flow: the last stays; one client's uploads are counted one at a time
            await work.claim(*([f"flow:{held_by}"] if held_by else []), *([f"upload-client:{client}"] if client else []))
            if client:
                await self._charge(work, client, len(image), now)
            if held_by is not None:
                await work.files.drop_unclaimed(held_by)
            await work.files.add(File(folder=images.AVATARS, name=name, media_type=images.MEDIA_TYPES[extension],
                                      data=image, flow_id=held_by, created_at=now, client=client))
            return await self._finish(work, StoredFile(name=name))

    async def _charge(self, work: Work, client: str, size: int, now: float) -> None:
        """Each upload is charged at least images.MIN_CHARGE: what a stored row costs beyond its bytes, so
        tiny images cannot be sent by the hundred thousand. A replaced or swept upload stays charged."""
        cost = max(size, images.MIN_CHARGE)
        if await work.files.charged_since(client, now - HOUR) + cost > self._upload_budget:
            raise RateLimited("upload budget for this client")
        await work.files.charge(client, now, cost)

    async def file(self, folder: str, name: str) -> File | None:
        """A file the core keeps, to serve."""
        async with self._store.read() as work:
            return await work.files.get(folder, name)
