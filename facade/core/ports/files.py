"""Files the core keeps (avatars), and what each client's uploads were charged."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class File:
    folder: str
    name: str
    media_type: str
    data: bytes
    flow_id: str | None  # the flow that uploaded it, until a user refers to it
    created_at: float
    client: str | None = None  # the client that sent it, for the upload budget


class Files(Protocol):
    async def add(self, file: File) -> None: ...

    async def get(self, folder: str, name: str) -> File | None: ...

    async def drop_unclaimed(self, flow_id: str) -> int:
        """Deletes the files ``flow_id`` uploaded that no user refers to."""

    async def charged_since(self, client: str, since: float) -> int:
        """What ``client``'s uploads after ``since`` were charged to its budget, in bytes."""

    async def charge(self, client: str, at: float, size: int) -> None:
        """Charges ``client``'s budget for an upload, whatever becomes of the file."""

    async def claimed(self, name: str) -> bool:
        """Whether a user refers to the file."""
