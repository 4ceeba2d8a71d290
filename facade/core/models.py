"""What core operations return. The engine's response templates may refer to
these fields (``$user.username``); it checks the references at start-up."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class User:
    id: int         # internal; dialects show it, or gid, or public_id, as their wire demands
    public_id: str  # 16 random lowercase letters, stable, not derived from id
    gid: int        # sequential from 100001
    passport: str | None  # the phone, else the e-mail address: what the account was registered with
    username: str | None
    phone: str | None
    email: str | None          # verified by a code or given at registration: unique, a login
    contact_email: str | None  # given for the profile, never verified: shown, never a login
    nickname: str | None
    gender: int | None  # ISO/IEC 5218: 0 not known, 1 male, 2 female, 9 not applicable
    birthday: int | None  # epoch milliseconds
    avatar: str | None
    extra: str | None
    created_at: float
    updated_at: float
    phone_verified: bool = False  # a code proved the phone
    email_verified: bool = False
    legacy_ids: Mapping[str, str] = field(default_factory=dict)  # namespace -> the id a legacy system showed


@dataclass(frozen=True)
class Session:
    id: int
    user_id: int
    origin: str
    app_id: str | None  # the app it was opened through, for dialects that demand one
    device_key: str | None   # the device it was opened on, as its client names it
    device_info: str | None  # what that client said of the device: JSON object text
    created_at: float
    expires_at: float
    # The holder's account as it was read to check this session, when it was: an operation on the
    # holder's profile in the same request need not read it again. Not part of the session's identity.
    holder: object | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Registered:
    user: User


@dataclass(frozen=True)
class Profile:
    user: User


@dataclass(frozen=True)
class ConfigValue:
    key: str
    value: str | None  # None: the user never set this key


@dataclass(frozen=True)
class StoredFile:
    name: str  # server-made: 32 hex digits and the extension of the format found inside


@dataclass(frozen=True)
class CodeSent:
    target: str   # normalised phone or e-mail address
    channel: str  # sms or email
    purpose: str  # what the code is good for
    code: str     # only a mapping that must hand it to the client refers to it


@dataclass(frozen=True)
class LoggedIn:
    user: User
    session: Session
    token: str  # the session's secret; each dialect's token codec puts it on the wire
