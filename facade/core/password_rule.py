"""What a new password must be, by the rule a dialect names."""
from __future__ import annotations

import string

from facade.core.outcomes import InvalidParameter, WeakPassword

PASSWORD_MAX = 1024  # beyond any real password; bounds the work one request can ask for
PASSWORD_MIN = 8     # for the 'letters_and_digits' rule


def check_password(password: str, rule: str = "any") -> None:
    """'any' is what most legacy servers allowed; 'letters_and_digits' is at least
    PASSWORD_MIN characters with a letter and a digit among them."""
    if len(password) > PASSWORD_MAX:
        raise InvalidParameter("password longer than %d characters" % PASSWORD_MAX)
    if rule == "letters_and_digits" and not (len(password) >= PASSWORD_MIN and any(c in DIGITS for c in password)
                                             and any(c in LETTERS for c in password)):
        raise WeakPassword(f"fewer than {PASSWORD_MIN} characters, or no letter, or no digit")


DIGITS, LETTERS = frozenset(string.digits), frozenset(string.ascii_letters)  # ASCII: '١' is no digit here
