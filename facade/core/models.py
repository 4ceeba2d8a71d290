"""What core operations return. The engine's response templates may refer to
these fields (``$user.username``); it checks the references at start-up."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    id: int         # internal; dialects show it, or gid, or public_id, as their wire demands
    public_id: str  # 16 random lowercase letters, stable, not derived from id
    gid: int        # sequential from 100001
    username: str | None
    phone: str | None
    email: str | None
    nickname: str | None
    gender: int | None
    birthday: int | None
    avatar: str | None
    extra: str | None
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class Session:
    id: int
    user_id: int
    origin: str
    created_at: float
    expires_at: float


@dataclass(frozen=True)
class Registered:
    user: User


@dataclass(frozen=True)
class CodeSent:
    target: str   # normalised phone or e-mail address
    channel: str  # sms or email
    code: str     # only a mapping that must hand it to the client refers to it


@dataclass(frozen=True)
class LoggedIn:
    user: User
    session: Session
    token: str  # the session's secret; each dialect's token codec puts it on the wire
