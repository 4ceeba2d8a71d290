"""The closed list of domain outcomes the core can report.

Each outcome has a stable ``id``. Outcomes form a tree: a mapping that does
not name ``username_taken`` may still name its parent ``user_exists``, and
the engine walks the class MRO to find the most specific entry a dialect
declares. ``detail`` is for logs only; no dialect shows it to a client.
"""
from __future__ import annotations


class Outcome(Exception):
    id = "outcome"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.id)
        self.detail = detail

    @classmethod
    def chain(cls) -> list[str]:
        """Ids from this outcome up to (not including) the root, most specific first."""
        return [k.id for k in cls.__mro__ if isinstance(k, type) and issubclass(k, Outcome) and k is not Outcome]


class Internal(Outcome):
    """Anything unexpected; rendered with the dialect's default error."""
    id = "internal"


class UpstreamUnavailable(Internal):
    """The legacy server a request needed did not answer in time, answered what cannot be read, or is
    given a rest after failing (its circuit is open)."""
    id = "upstream_unavailable"


class InvalidInput(Outcome):
    id = "invalid_input"


class MissingParameter(InvalidInput):
    id = "missing_parameter"


class InvalidParameter(InvalidInput):
    id = "invalid_parameter"


class MalformedBody(InvalidInput):
    id = "malformed_body"


class BodyTimeout(MalformedBody):
    """The body did not arrive within the time a client has to send one."""
    id = "body_timeout"


class UnsupportedMediaType(InvalidInput):
    id = "unsupported_media_type"


class BodyTooLarge(InvalidInput):
    id = "body_too_large"


class InvalidPhone(InvalidInput):
    id = "invalid_phone"


class InvalidEmail(InvalidInput):
    id = "invalid_email"


class InvalidUsername(InvalidInput):
    id = "invalid_username"


class PasswordMismatch(InvalidInput):
    id = "password_mismatch"


class WeakPassword(InvalidInput):
    id = "weak_password"


class InvalidImage(InvalidInput):
    """Not a PNG, JPEG, GIF or WebP that decodes, or beyond the size limits."""
    id = "invalid_image"


class OutOfOrder(InvalidInput):
    """A step of a multi-step flow came before the step it builds on (or after the flow ended)."""
    id = "out_of_order"


class NoRoute(InvalidInput):
    """A path no route serves, inside a dialect's URL space."""
    id = "no_route"


class WrongMethod(InvalidInput):
    """A path some route serves, with a method none of them takes."""
    id = "wrong_method"


class ConfigKeyInvalid(InvalidInput):
    """A per-user config key that is empty or longer than its limit."""
    id = "config_key_invalid"


class ConfigValueTooLarge(InvalidInput):
    id = "config_value_too_large"


class ConfigFull(Outcome):
    """The user already holds as many config keys as allowed; a new one is refused."""
    id = "config_full"


class UserExists(Outcome):
    id = "user_exists"


class UsernameTaken(UserExists):
    id = "username_taken"


class PhoneTaken(UserExists):
    id = "phone_taken"


class EmailTaken(UserExists):
    id = "email_taken"


class NoSuchUser(Outcome):
    id = "no_such_user"


class WrongPassword(Outcome):
    id = "wrong_password"


class NotLoggedIn(Outcome):
    id = "not_logged_in"


class TokenInvalid(NotLoggedIn):
    """A token was sent but is unknown, revoked or expired: still 'not logged in'."""
    id = "token_invalid"


class CodeInvalid(Outcome):
    id = "code_invalid"


class CodeExpired(CodeInvalid):
    id = "code_expired"


class CodeAttemptsExceeded(CodeInvalid):
    id = "code_attempts_exceeded"


class RateLimited(Outcome):
    id = "rate_limited"


class Overloaded(RateLimited):
    """The server holds as much as it may of other requests' bodies: try again shortly."""
    id = "overloaded"


class LoginThrottled(RateLimited):
    """Too many failed logins for this account or from this client: wait, then try again."""
    id = "login_throttled"


class AppInvalid(Outcome):
    id = "app_invalid"


class DeliveryFailed(Outcome):
    """A code could not be sent (SMS gateway or mail server refused or was unreachable)."""
    id = "delivery_failed"


def _all(cls: type[Outcome]) -> list[type[Outcome]]:
    return [cls] + [d for sub in cls.__subclasses__() for d in _all(sub)]


OUTCOMES: dict[str, type[Outcome]] = {c.id: c for c in _all(Outcome) if c is not Outcome}

TAKEN = {"username": UsernameTaken, "phone": PhoneTaken, "email": EmailTaken}
