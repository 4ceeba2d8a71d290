"""Folders and files the server makes are its own: 0700 and 0600, whatever the umask.

The store and the outbox hold password hashes, pending codes and, unless
``security.jwt_secret`` is given, the key that signs tokens: any local user who
could read them could mint a token or take a code. The mode is set on the
descriptor before anything is written, so there is no moment a reader could
open the file; what an operator made beforehand keeps the mode it was given.
"""
from __future__ import annotations

import os
from pathlib import Path

FOLDER, FILE = 0o700, 0o600


def make_folder(folder: Path) -> None:
    """``folder`` and any missing folder above it, each 0700 (chmod: mkdir's mode is masked by the umask)."""
    missing = []
    for path in (folder, *folder.parents):
        if path.is_dir():
            break
        missing.append(path)
    for path in reversed(missing):
        try:
            path.mkdir(mode=FOLDER)
        except FileExistsError:  # another process made it first (its mode is its own), or a file is there
            if not path.is_dir():
                raise
            continue
        path.chmod(FOLDER)


def create(path: Path) -> bool:
    """Makes ``path`` an empty 0600 file, its folder made as above, unless it exists; True if it made it."""
    make_folder(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE)
    except FileExistsError:
        return False
    try:
        os.fchmod(descriptor, FILE)
    finally:
        os.close(descriptor)
    return True


def readable_by_others(path: Path) -> bool:
    """Whether users other than the owner may read the file (group or others)."""
    try:
        return bool(path.stat().st_mode & 0o044)
    except OSError:
        return False
