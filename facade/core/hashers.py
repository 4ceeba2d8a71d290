"""Password schemes, in one registry looked up by the tag in front of each stored hash.

A stored hash reads ``<scheme>:<payload>``: the scheme name has no ':', the payload is
everything after the first ':'. ``sha256-bcrypt`` is the facade's own scheme, what
facade/core/passwords.py writes; rows written before tags existed hold its bcrypt string
alone (``$2b$...``) and are read as that scheme. Every other scheme is a legacy one: users
are imported with their hashes kept as the legacy system wrote them, checked at login, and
replaced with the own scheme after the first login that succeeds (``needs_upgrade`` says
when; the caller does the replacing), as Ory Kratos does (hash/hash_comparator.go).

Import: ``check_spec`` checks an import description's password entry before any row is
read; ``imported`` turns the entry, with a row's values filled in, into a stored hash. The
shape of every value is checked there and normalised (hex to lowercase, Shiro's hex to
base64, ...), so that a login only ever compares bytes, in constant time. Plain text is
never stored: a plain password is hashed at import (``from_plain``). Error messages never
repeat a value: a column mixed up at import could hold a plain password.

``verify`` and ``imported`` are CPU-bound and synchronous: run them off the event loop.
Every scheme reads a password as its UTF-8 bytes, as the Java and PHP systems we import
from did; lone surrogates (which JSON can carry) pass through as their own bytes instead
of raising, so no password can make ``verify`` raise.
"""
from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import argon2
import bcrypt
from argon2 import low_level as argon2_low
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from passlib import hash as libpass
from passlib.exc import PasswordValueError

from facade.core import recipes

OWN = "sha256-bcrypt"
# The tag of a password the legacy server still holds (an import brought the user without a usable hash):
# nothing matches it here; the first login asks the legacy server (lazy migration) and stores the own scheme.
AWAITING = "upstream:"
HELD_ELSEWHERE = frozenset({AWAITING[:-1]})  # tags that hold no hash at all: no password verifies against them

# Work caps, so that no imported value can make a login stall: each keeps one check within
# about 2 s on a 2-core AMD EPYC VM (measured there: bcrypt cost 14 1.5 s; PBKDF2-SHA256
# 0.55 s per million iterations, SHA-512 1.2 s; Shiro's SHA-256 loop 1.3 s per million;
# libpass's pure-Python sha512-crypt 1.8 s per 100,000 rounds with a 4 KiB password,
# 0.15 s with 8 bytes; argon2 with 256 MiB and 4 passes 1.2 s in one lane). Legacy defaults
# fit: Spring bcrypt 10, Django up to 1,200,000 (6.0), Shiro 500,000, glibc 5,000 rounds.
BCRYPT_MAX_COST = 14
PBKDF2_MAX_ITERATIONS = 2_000_000
SHIRO_MAX_ITERATIONS = 1_000_000
SHA_CRYPT_MAX_ROUNDS = 100_000  # refuses libpass's own default (656,000 rounds: 2 s and more)
ARGON2_MAX_MEMORY = 256 * 1024  # KiB
ARGON2_MAX_WORK = 4 * ARGON2_MAX_MEMORY  # memory x passes
ARGON2_MAX_LANES = 16
# The longest password a legacy scheme is asked to check: 1024 characters of 4 bytes each
# (what registration allows), and libpass's own limit. The cost of sha-crypt and of
# recipes grows with the password; beyond this a login is refused without any work.
LEGACY_PASSWORD_MAX_BYTES = 4096
INPUT_MAX_LENGTH = 1024  # a recipe input (salt, login name) from an import row
# PBKDF2-HMAC-SHA256 iterations for a plain password at import: 1.6 ms a password on the
# machine above (2,000: 1.2 ms; 3,000: 1.9 ms). Enough that the import file's passwords
# are no longer plain; the hash lives only until that user's first login.
PLAIN_ITERATIONS = 2_500


@dataclass(frozen=True)
class Format:
    """How one stored payload is read. ``verify`` raises ValueError only when the payload cannot
    be read; ``read`` checks a payload's shape and returns it normalised, or raises ValueError
    saying what is wrong."""
    verify: Callable[[str, str], bool]
    read: Callable[[str], str]


def _utf8(password: str) -> bytes:
    return password.encode("utf-8", "surrogatepass")


def _digest_size(algorithm: str) -> int:
    return hashlib.new(algorithm).digest_size


def _b64(text: str, size: int | None, what: str) -> bytes:
    """Standard base64 with padding; ``size`` is the byte length it must decode to, if fixed."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not base64") from None
    if size is not None and len(raw) != size:
        raise ValueError(f"{what} decodes to {len(raw)} bytes, not {size}")
    return raw


_HEX = re.compile(r"[0-9a-fA-F]*")
_COUNT = re.compile(r"[1-9][0-9]{0,9}")


def _hex(text: str, size: int, what: str) -> str:
    """``text`` as lowercase hex of ``size`` bytes."""
    if len(text) != 2 * size or not _HEX.fullmatch(text):
        raise ValueError(f"{what} is not {2 * size} hex digits")
    return text.lower()


def _unhex(text: str, what: str) -> bytes:
    if len(text) % 2 or not _HEX.fullmatch(text):
        raise ValueError(f"{what} is not hex")
    return bytes.fromhex(text)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} is not text")
    return value


def _choice(table: Mapping[str, Any], key: Any) -> Any:
    """``table[key]``, or None for a key not in it, text or not (an import row may hold a list)."""
    return table.get(key) if isinstance(key, str) else None


def _count(text: str | int, most: int, what: str) -> int:
    """An iteration count from 1 to ``most``, as decimal text without signs, spaces or leading zeros."""
    if isinstance(text, bool) or not isinstance(text, (str, int)) or not _COUNT.fullmatch(str(text)):
        raise ValueError(f"{what} is not a whole number from 1")
    if int(text) > most:
        raise ValueError(f"{what} {int(text)} is above the {most} a login may spend")
    return int(text)


# -- the facade's own: bcrypt over base64(SHA-256(password)), so long passwords keep working

def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(_utf8(password)).digest())


_OWN_SHAPE = re.compile(r"\$2b\$(\d\d)\$[./A-Za-z0-9]{53}")
_BCRYPT_SHAPE = re.compile(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}")


def _bcrypt_cost(payload: str, shape: re.Pattern[str], most: int, what: str) -> int:
    match = shape.fullmatch(payload)
    if match is None:
        raise ValueError(f"not a {what} hash (60 characters)")
    cost = int(match.group(1))
    if not 4 <= cost <= most:
        raise ValueError(f"bcrypt cost {cost} is outside 4..{most}")
    return cost


def _own_read(payload: str) -> str:
    _bcrypt_cost(payload, _OWN_SHAPE, BCRYPT_MAX_COST, "$2b$ bcrypt")
    return payload


def _own_verify(password: str, payload: str) -> bool:
    # No cost cap here: the cost is the operator's, who may raise it past what import allows.
    _bcrypt_cost(payload, _OWN_SHAPE, 31, "$2b$ bcrypt")
    return bcrypt.checkpw(_prehash(password), payload.encode("ascii"))


def _own_outdated(payload: str, rounds: int | None) -> bool:
    return rounds is not None and _bcrypt_cost(payload, _OWN_SHAPE, 31, "$2b$ bcrypt") < rounds


def own_hash(password: str, rounds: int) -> str:
    """The facade's own scheme, tagged: what a password is stored as from now on."""
    hashed = bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode("ascii")
    return f"{OWN}:{hashed}"


# -- bcrypt as Spring's BCryptPasswordEncoder (jBCrypt) wrote it: no pre-hash, and only the
# first 72 bytes count (bcrypt >= 5 raises for more, so they are cut here, as jBCrypt did)

def _bcrypt_read(payload: str) -> str:
    _bcrypt_cost(payload, _BCRYPT_SHAPE, BCRYPT_MAX_COST, "$2a$/$2b$/$2y$ bcrypt")
    return payload


def _bcrypt_verify(password: str, payload: str) -> bool:
    return bcrypt.checkpw(_utf8(password)[:72], _bcrypt_read(payload).encode("ascii"))


# -- Django's PBKDF2PasswordHasher: algorithm$iterations$salt$base64(hash); the salt is text

DJANGO_ALGORITHMS = {"pbkdf2_sha256": "sha256", "pbkdf2_sha1": "sha1"}


def _django_parts(payload: str) -> tuple[str, int, bytes, bytes]:
    parts = payload.split("$", 3)
    if len(parts) < 4:
        raise ValueError("not algorithm$iterations$salt$hash")
    algorithm, iterations, salt, encoded = parts
    digest = DJANGO_ALGORITHMS.get(algorithm)
    if digest is None:
        raise ValueError(f"Django algorithm is not one of {', '.join(DJANGO_ALGORITHMS)}")
    rounds = _count(iterations, PBKDF2_MAX_ITERATIONS, "iterations")
    return digest, rounds, salt.encode("utf-8"), _b64(encoded, _digest_size(digest), "the hash")


def _django_read(payload: str) -> str:
    _django_parts(payload)
    return payload


def _django_verify(password: str, payload: str) -> bool:
    digest, iterations, salt, expected = _django_parts(payload)
    return hmac.compare_digest(hashlib.pbkdf2_hmac(digest, _utf8(password), salt, iterations), expected)


def from_plain(password: str, iterations: int = PLAIN_ITERATIONS) -> str:
    """A plain legacy password as a stored hash: PBKDF2-HMAC-SHA256 with 16 random bytes of
    salt, in Django's format under ``django-pbkdf2``. Django keeps the salt as text and hashes
    its UTF-8: hex keeps it in the alphabet Django and libpass both write."""
    _count(iterations, PBKDF2_MAX_ITERATIONS, "iterations")
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", _utf8(password), salt.encode("ascii"), iterations)
    return f"django-pbkdf2:pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode('ascii')}"


# -- formats libpass reads: the handler is picked by the payload's prefix

@dataclass(frozen=True)
class _Libpass:
    handlers: Mapping[str, Any]  # payload prefix -> libpass handler
    max_rounds: int | None = None  # None: the format's cost is fixed

    def handler(self, payload: str) -> Any:
        for prefix, handler in self.handlers.items():
            if payload.startswith(prefix):
                return handler
        raise ValueError(f"does not start with {' or '.join(self.handlers)}")

    def read(self, payload: str) -> str:
        handler = self.handler(payload)
        try:
            parsed = handler.from_string(payload)
        except (ValueError, TypeError) as error:
            raise ValueError(_reason(error, handler.name)) from None
        if self.max_rounds is not None and parsed.rounds > self.max_rounds:
            raise ValueError(f"rounds {parsed.rounds} is above the {self.max_rounds} a login may spend")
        return payload

    def verify(self, password: str, payload: str) -> bool:
        try:
            return self.handler(self.read(payload)).verify(_utf8(password), payload)
        except PasswordValueError:  # a password crypt cannot take (a NUL byte): it was never this one
            return False


def _reason(error: Exception, name: str) -> str:
    """libpass's reason, unless it quotes the value (an int() of a mixed-up column may be a password):
    an import report must never echo a secret."""
    said = str(error)
    return f"not a well-formed {name} hash" if any(q in said for q in "'\"") or len(said) > 120 else said


PASSLIB_PBKDF2 = _Libpass({"$pbkdf2-sha256$": libpass.pbkdf2_sha256, "$pbkdf2-sha512$": libpass.pbkdf2_sha512,
                           "$pbkdf2$": libpass.pbkdf2_sha1}, PBKDF2_MAX_ITERATIONS)
MD5_CRYPT = _Libpass({"$1$": libpass.md5_crypt})
SHA256_CRYPT = _Libpass({"$5$": libpass.sha256_crypt}, SHA_CRYPT_MAX_ROUNDS)
SHA512_CRYPT = _Libpass({"$6$": libpass.sha512_crypt}, SHA_CRYPT_MAX_ROUNDS)
LDAP = _Libpass({"{SSHA}": libpass.ldap_salted_sha1, "{SHA}": libpass.ldap_sha1,
                 "{SSHA256}": libpass.ldap_salted_sha256, "{SSHA512}": libpass.ldap_salted_sha512,
                 "{SMD5}": libpass.ldap_salted_md5, "{MD5}": libpass.ldap_md5})
_LDAP_LABEL = re.compile(r"\{[A-Za-z0-9]+\}")


def _ldap_read(payload: str) -> str:
    """RFC 2307 labels are case-insensitive ('{ssha}' too); libpass reads them upper-case."""
    label = _LDAP_LABEL.match(payload)
    return LDAP.read(label.group().upper() + payload[label.end():] if label else payload)


# -- argon2 (PHC string), as argon2-cffi and Spring's Argon2PasswordEncoder write it

ARGON2_TYPES = {"$argon2id$": argon2_low.Type.ID, "$argon2i$": argon2_low.Type.I}


def _argon2_type(payload: str) -> argon2_low.Type:
    for prefix, kind in ARGON2_TYPES.items():
        if payload.startswith(prefix):
            return kind
    raise ValueError(f"does not start with {' or '.join(ARGON2_TYPES)}")


def _argon2_read(payload: str) -> str:
    _argon2_type(payload)
    try:
        found = argon2.extract_parameters(payload)
    except InvalidHashError:
        raise ValueError("not an argon2 PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash)") from None
    if found.memory_cost > ARGON2_MAX_MEMORY or found.memory_cost * found.time_cost > ARGON2_MAX_WORK:
        raise ValueError(f"m={found.memory_cost}, t={found.time_cost} is above the {ARGON2_MAX_MEMORY} KiB"
                         f" and {ARGON2_MAX_WORK} KiB passes a login may spend")
    if found.parallelism > ARGON2_MAX_LANES:
        raise ValueError(f"p={found.parallelism} is above {ARGON2_MAX_LANES}")
    return payload


def _argon2_verify(password: str, payload: str) -> bool:
    kind = _argon2_type(_argon2_read(payload))
    try:
        return argon2_low.verify_secret(payload.encode("ascii"), _utf8(password), kind)
    except VerifyMismatchError:
        return False
    except VerificationError as error:  # the payload itself did not decode
        raise ValueError(f"argon2: {error}") from None


# -- Apache Shiro: SimpleHash is digest(salt + password), then digest(previous) for each
# further iteration; Shiro1CryptFormat keeps all of it: $shiro1$ALG$iterations$b64salt$b64hash

SHIRO_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
# Names Java's MessageDigest also answers to (case-insensitively); stored under the first form.
_SHIRO_ALIASES = {**{name: name for name in SHIRO_ALGORITHMS}, "SHA": "SHA-1", "SHA1": "SHA-1",
                  "SHA256": "SHA-256", "SHA384": "SHA-384", "SHA512": "SHA-512"}


def _shiro_parts(payload: str) -> tuple[str, int, bytes, bytes]:
    parts = payload.split("$")
    if len(parts) != 6 or parts[0] or parts[1] != "shiro1":
        raise ValueError("not $shiro1$algorithm$iterations$salt$hash")
    digest = SHIRO_ALGORITHMS.get(parts[2])
    if digest is None:
        raise ValueError(f"Shiro algorithm is not one of {', '.join(SHIRO_ALGORITHMS)}")
    iterations = _count(parts[3], SHIRO_MAX_ITERATIONS, "iterations")
    return digest, iterations, _b64(parts[4], None, "the salt"), _b64(parts[5], _digest_size(digest), "the hash")


def _shiro_read(payload: str) -> str:
    _shiro_parts(payload)
    return payload


def _shiro_hash(digest: str, secret: bytes, salt: bytes, iterations: int) -> bytes:
    hashed = hashlib.new(digest, salt + secret).digest()
    for _ in range(iterations - 1):
        hashed = hashlib.new(digest, hashed).digest()
    return hashed


def _shiro_verify(password: str, payload: str) -> bool:
    digest, iterations, salt, expected = _shiro_parts(payload)
    return hmac.compare_digest(_shiro_hash(digest, _utf8(password), salt, iterations), expected)


# -- Spring's MessageDigestPasswordEncoder: "{salt}" + hex(digest(password + "{salt}")), the
# braces part of what is hashed; no "{salt}" at all when there was no salt

def _message_digest_parts(digest: str, payload: str) -> tuple[str, str]:
    salt_end = payload.find("}") + 1 if payload.startswith("{") else 0
    salt, hexed = payload[:salt_end], payload[salt_end:]
    return salt, _hex(hexed, _digest_size(digest), f"the {digest} digest (after any {{salt}})")


def _message_digest_read(digest: str, payload: str) -> str:
    salt, hexed = _message_digest_parts(digest, payload)
    return salt + hexed


def _message_digest_verify(digest: str, password: str, payload: str) -> bool:
    salt, expected = _message_digest_parts(digest, payload)
    computed = hashlib.new(digest, _utf8(password + salt)).hexdigest()
    return hmac.compare_digest(computed.encode("ascii"), expected.encode("ascii"))


def _message_digest(digest: str) -> Format:
    return Format(functools.partial(_message_digest_verify, digest), functools.partial(_message_digest_read, digest))


# -- Spring's LdapShaPasswordEncoder: {SHA} or {SSHA} (either case); anything else not
# starting with '{' is plain text, which Spring compares as it is

_SPRING_LDAP_LABEL = re.compile(r"\{(SHA|SSHA|sha|ssha)\}")


def _spring_ldap_read(payload: str) -> str:
    if not _SPRING_LDAP_LABEL.match(payload):
        raise ValueError("Spring's LdapShaPasswordEncoder reads only {SHA} and {SSHA}")
    return _ldap_read(payload)


def _spring_ldap_verify(password: str, payload: str) -> bool:
    return LDAP.verify(password, _spring_ldap_read(payload))


# -- Spring's DelegatingPasswordEncoder: "{id}" + what that id's encoder wrote

SPRING = {
    "bcrypt": Format(_bcrypt_verify, _bcrypt_read),
    "MD5": _message_digest("md5"),
    "SHA-1": _message_digest("sha1"),
    "SHA-256": _message_digest("sha256"),
    "ldap": Format(_spring_ldap_verify, _spring_ldap_read),
    "argon2": Format(_argon2_verify, _argon2_read),
    "argon2@SpringSecurity_v5_8": Format(_argon2_verify, _argon2_read),
}
SPRING_REFUSED = {
    "noop": "plain text is never stored (an import hashes it)",
    "pbkdf2": "Pbkdf2PasswordEncoder's secret, iterations and hash width are its configuration,"
              " not part of the stored value",
    "pbkdf2@SpringSecurity_v5_8": "Pbkdf2PasswordEncoder's secret is its configuration, not part of the stored value",
    "sha256": "StandardPasswordEncoder mixes in a secret that is its configuration, not part of the stored value",
    "scrypt": "SCryptPasswordEncoder values are not read here",
    "scrypt@SpringSecurity_v5_8": "SCryptPasswordEncoder values are not read here",
    "MD4": "MD4 is not offered by this service's hashlib",
}
_SPRING_ID = re.compile(r"\{([A-Za-z0-9@._-]{1,40})\}")


def _spring_split(payload: str) -> tuple[Format, str, str]:
    """(the id's format, the id, what follows it); raises for an id Spring's default
    encoders do not have, or one refused here, with the reason."""
    match = _SPRING_ID.match(payload)
    if match is None:
        raise ValueError("does not start with Spring's {id}")
    name = match.group(1)
    if name in SPRING_REFUSED:
        raise ValueError(f"{{{name}}} is refused: {SPRING_REFUSED[name]}")
    found = SPRING.get(name)
    if found is None:
        raise ValueError(f"not a Spring encoder id read here (known: {', '.join(SPRING)})")
    return found, name, payload[match.end():]


def _spring_read(payload: str) -> str:
    found, name, rest = _spring_split(payload)
    return f"{{{name}}}{found.read(rest)}"


def _spring_verify(password: str, payload: str) -> bool:
    found, _, rest = _spring_split(payload)
    return found.verify(password, rest)


# -- recipes (facade/core/recipes.py): stored as JSON with the recipe, its inputs and the hash

@functools.lru_cache(maxsize=256)
def _parsed(text: str, names: frozenset[str]) -> recipes.Recipe:
    """An import's rows share one recipe: parsed once."""
    return recipes.parse(text, names)


def _recipe(text: Any, inputs: Any) -> recipes.Recipe:
    if not isinstance(text, str):
        raise ValueError("the recipe is not text")
    if not isinstance(inputs, Mapping):
        raise ValueError("inputs is not a mapping of names to values")
    if "password" in inputs:
        raise ValueError("'password' is the password itself, not an input")
    recipe = _parsed(text, frozenset(inputs))
    if "password" not in recipe.names:
        raise ValueError("the recipe does not use the password")
    if recipe.digest is None:
        raise ValueError("the recipe's result is not a digest: it would keep the password itself")
    unused = set(inputs) - recipe.names
    if unused:
        raise ValueError(f"inputs the recipe does not use: {', '.join(sorted(map(str, unused)))}")
    return recipe


def _recipe_payload(text: Any, inputs: Mapping[str, Any], value: Any) -> str:
    """The stored payload, normalised: inputs as text, the hash as lowercase hex of the
    length the recipe's outer digest gives."""
    recipe = _recipe(text, inputs)
    size = recipes.HEX_LENGTHS[recipe.digest] // 2
    expected = _hex(_text(value, "value"), size, f"value (the {recipe.digest} digest)")
    return json.dumps({"recipe": recipe.text, "hash": expected,
                       "inputs": {name: _input(inputs[name], name) for name in sorted(inputs)}},
                      separators=(",", ":"), sort_keys=True)


def _recipe_read(payload: str) -> str:
    try:
        stored = json.loads(payload)
        text, inputs, expected = stored["recipe"], stored["inputs"], stored["hash"]
    except (ValueError, KeyError, TypeError):
        raise ValueError("not a recipe's JSON (recipe, inputs, hash)") from None
    return _recipe_payload(text, inputs, expected)


def _recipe_verify(password: str, payload: str) -> bool:
    stored = json.loads(_recipe_read(payload))
    recipe = recipes.parse(stored["recipe"], stored["inputs"])
    computed = recipe.evaluate({**stored["inputs"], "password": password}).lower()
    return hmac.compare_digest(_utf8(computed), _utf8(stored["hash"]))


def _input(value: Any, name: str) -> str:
    """A row value fed to a recipe: text, or a whole number as its decimal text (a numeric
    salt column); NULL is refused, since Java would hash 'null' and PHP ''."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"input '{name}' is not text")
    if len(value) > INPUT_MAX_LENGTH:
        raise ValueError(f"input '{name}' is longer than {INPUT_MAX_LENGTH} characters")
    return value


@dataclass(frozen=True)
class Scheme:
    """A stored form, by tag. ``outdated(payload, rounds)`` says whether a login should replace
    it with the own scheme at ``rounds``; ``max_password_bytes`` bounds the password it is
    asked to check (longer ones are refused at once)."""
    format: Format
    outdated: Callable[[str, int | None], bool] = lambda payload, rounds: True
    max_password_bytes: int | None = LEGACY_PASSWORD_MAX_BYTES


SCHEMES: dict[str, Scheme] = {
    OWN: Scheme(Format(_own_verify, _own_read), _own_outdated, None),
    "bcrypt": Scheme(Format(_bcrypt_verify, _bcrypt_read)),
    "django-pbkdf2": Scheme(Format(_django_verify, _django_read)),
    "passlib-pbkdf2": Scheme(Format(PASSLIB_PBKDF2.verify, PASSLIB_PBKDF2.read)),
    "md5-crypt": Scheme(Format(MD5_CRYPT.verify, MD5_CRYPT.read)),
    "sha256-crypt": Scheme(Format(SHA256_CRYPT.verify, SHA256_CRYPT.read)),
    "sha512-crypt": Scheme(Format(SHA512_CRYPT.verify, SHA512_CRYPT.read)),
    "ldap": Scheme(Format(LDAP.verify, _ldap_read)),
    "argon2": Scheme(Format(_argon2_verify, _argon2_read)),
    "shiro": Scheme(Format(_shiro_verify, _shiro_read)),
    "spring": Scheme(Format(_spring_verify, _spring_read)),
    "recipe": Scheme(Format(_recipe_verify, _recipe_read)),
    AWAITING[:-1]: Scheme(Format(lambda password, payload: False, lambda payload: "")),
}


_TAG = re.compile(r"[a-z0-9-]{1,32}")  # a tag shown in an error; anything else may be a password


def _split(stored: str) -> tuple[Scheme, str]:
    if stored.startswith("$2b$") and ":" not in stored:
        return SCHEMES[OWN], stored  # written before tags: the own scheme
    tag, colon, payload = stored.partition(":")
    scheme = SCHEMES.get(tag) if colon else None
    if scheme is None:
        raise ValueError(f"unknown scheme {tag!r}" if colon and _TAG.fullmatch(tag) else "no scheme tag")
    return scheme, payload


def verify(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from, compared in constant time.
    Never raises for a wrong password; raises ValueError only for a stored value that no
    scheme can read."""
    scheme, payload = _split(stored)
    if scheme.max_password_bytes is not None and len(_utf8(password)) > scheme.max_password_bytes:
        scheme.format.read(payload)
        return False
    return scheme.format.verify(password, payload)


def needs_upgrade(stored: str, rounds: int | None = None) -> bool:
    """True for every scheme but the own one, and for the own one at a bcrypt cost below
    ``rounds`` if given. A value written before tags is the own scheme (a migration tags it).
    Raises ValueError, as ``verify`` does, for a value that names no known scheme."""
    scheme, payload = _split(stored)
    return scheme.outdated(payload, rounds)


# -- import entries: {"scheme": ..., "value": ..., other keys}, with a row's values in them

@dataclass(frozen=True)
class Entry:
    """How one kind of import entry becomes a stored hash. ``required`` and ``optional`` are
    its keys besides 'scheme'; ``check`` refuses, before any row is read, what no row could
    complete (it sees templates, not values, for what comes from rows); ``imported`` takes
    the entry with a row's values and returns the stored, tagged hash."""
    imported: Callable[[Mapping[str, Any]], str]
    required: frozenset[str] = frozenset({"value"})
    optional: frozenset[str] = frozenset()
    check: Callable[[Mapping[str, Any]], None] = lambda spec: None


def _as_stored(tag: str, spec: Mapping[str, Any]) -> str:
    return f"{tag}:{SCHEMES[tag].format.read(_text(spec['value'], 'value'))}"


def _plain(password: Any) -> str:
    password = _text(password, "the password")
    if not password:
        raise ValueError("the password is empty")
    if len(_utf8(password)) > LEGACY_PASSWORD_MAX_BYTES:
        raise ValueError(f"the password is longer than {LEGACY_PASSWORD_MAX_BYTES} bytes")
    return from_plain(password)


def _plain_imported(spec: Mapping[str, Any]) -> str:
    return _plain(spec["value"])


def _spring_imported(spec: Mapping[str, Any]) -> str:
    value = _text(spec["value"], "value")
    plain = _spring_plain(value)
    return _plain(plain) if plain is not None else _as_stored("spring", spec)


def _spring_plain(value: str) -> str | None:
    """The password a Spring value holds in the clear, if it does: {noop}, or {ldap} with no
    {SHA}/{SSHA} label (LdapShaPasswordEncoder then compares the text as it is)."""
    if value.startswith("{noop}"):
        return value[len("{noop}"):]
    if value.startswith("{ldap}") and not value.startswith("{ldap}{"):
        return value[len("{ldap}"):]
    return None


def _shiro_check(spec: Mapping[str, Any]) -> None:
    given = {"algorithm", "iterations"} & set(spec)
    if given and len(given) < 2:
        raise ValueError("SimpleHash needs both algorithm and iterations ($shiro1$ values need neither)")
    if not given and {"salt", "salt_encoding"} & set(spec):
        raise ValueError("salt is for SimpleHash values: name algorithm and iterations too")
    if given:
        _shiro_algorithm(spec["algorithm"])
        if not isinstance(spec["iterations"], str):  # a number in the description itself
            _count(spec["iterations"], SHIRO_MAX_ITERATIONS, "iterations")
        _salt_decoder(spec)


def _shiro_algorithm(name: Any) -> str:
    canonical = _SHIRO_ALIASES.get(_text(name, "algorithm").upper())
    if canonical is None:
        raise ValueError(f"algorithm is not one of {', '.join(SHIRO_ALGORITHMS)}")
    return canonical


_SALT_DECODERS: dict[str, Callable[[str], bytes]] = {
    "text": lambda salt: salt.encode("utf-8"),  # ByteSource.Util.bytes(String)
    "hex": lambda salt: _unhex(salt, "the salt"),
    "base64": lambda salt: _b64(salt, None, "the salt"),
}


def _salt_decoder(spec: Mapping[str, Any]) -> Callable[[str], bytes]:
    decoder = _choice(_SALT_DECODERS, spec.get("salt_encoding", "text"))
    if decoder is None:
        raise ValueError(f"salt_encoding is not one of {', '.join(_SALT_DECODERS)}")
    return decoder


def _shiro_imported(spec: Mapping[str, Any]) -> str:
    value = _text(spec["value"], "value")
    if "algorithm" not in spec:
        return _as_stored("shiro", spec)
    if value.startswith("$shiro1$"):
        raise ValueError("a $shiro1$ value carries its own algorithm, iterations and salt")
    algorithm = _shiro_algorithm(spec["algorithm"])
    iterations = _count(spec["iterations"], SHIRO_MAX_ITERATIONS, "iterations")
    salt = _salt_decoder(spec)(_text(spec.get("salt", ""), "salt"))
    digest = _shiro_digest(value, _digest_size(SHIRO_ALGORITHMS[algorithm]), algorithm)
    encoded = [base64.b64encode(part).decode("ascii") for part in (salt, digest)]
    return f"shiro:$shiro1${algorithm}${iterations}${encoded[0]}${encoded[1]}"


def _shiro_digest(value: str, size: int, algorithm: str) -> bytes:
    """SimpleHash's toHex() or toBase64(), told apart by length: base64 is the shorter."""
    if len(value) > len(base64.b64encode(bytes(size))):
        return bytes.fromhex(_hex(value, size, f"value (the {algorithm} hex)"))
    return _b64(value, size, f"value (the {algorithm} base64)")


def _recipe_check(spec: Mapping[str, Any]) -> None:
    _recipe(spec["recipe"], spec.get("inputs", {}))


def _recipe_imported(spec: Mapping[str, Any]) -> str:
    return f"recipe:{_recipe_payload(spec['recipe'], spec.get('inputs', {}), spec['value'])}"


SALT_POSITIONS = {"before": "{digest}(salt + password)", "after": "{digest}(password + salt)"}


def _digest_recipe(digest: str, spec: Mapping[str, Any]) -> str:
    if "salt" not in spec:
        if "salt_position" in spec:
            raise ValueError("salt_position without a salt")
        return f"{digest}(password)"
    position = _choice(SALT_POSITIONS, spec.get("salt_position"))
    if position is None:
        raise ValueError(f"a salt needs salt_position: {' or '.join(SALT_POSITIONS)}")
    return position.format(digest=digest)


def _digest_check(digest: str, spec: Mapping[str, Any]) -> None:
    _digest_recipe(digest, spec)


def _digest_imported(digest: str, spec: Mapping[str, Any]) -> str:
    if "salt" not in spec and "salt_position" not in spec:
        # What _recipe_payload writes for a bare digest, without parsing and checking its one recipe per row:
        # an import of a million md5s spends its time here (tests/test_hashers.py holds the two equal).
        expected = _hex(_text(spec["value"], "value"), recipes.HEX_LENGTHS[digest] // 2, f"value (the {digest} digest)")
        return f'recipe:{{"hash":"{expected}","inputs":{{}},"recipe":"{digest}(password)"}}'
    inputs = {"salt": spec["salt"]} if "salt" in spec else {}
    return f"recipe:{_recipe_payload(_digest_recipe(digest, spec), inputs, spec['value'])}"


# What an entry's 'scheme' may name: each stored scheme whose values are kept as written,
# and the forms converted at import: plain (hashed by from_plain), the hex digests md5, sha1,
# sha256, sha512 (fixed recipes), Shiro's SimpleHash parts (into $shiro1$), Spring's {noop}.
_STORED_AS_IS = (OWN, "bcrypt", "django-pbkdf2", "passlib-pbkdf2", "md5-crypt", "sha256-crypt", "sha512-crypt",
                 "ldap", "argon2")
IMPORTS: dict[str, Entry] = {
    **{tag: Entry(functools.partial(_as_stored, tag)) for tag in _STORED_AS_IS},
    "spring": Entry(_spring_imported),
    "shiro": Entry(_shiro_imported, optional=frozenset({"algorithm", "iterations", "salt", "salt_encoding"}),
                   check=_shiro_check),
    "recipe": Entry(_recipe_imported, required=frozenset({"value", "recipe"}), optional=frozenset({"inputs"}),
                    check=_recipe_check),
    "plain": Entry(_plain_imported),
    AWAITING[:-1]: Entry(lambda spec: AWAITING, required=frozenset()),
    **{digest: Entry(functools.partial(_digest_imported, digest), optional=frozenset({"salt", "salt_position"}),
                     check=functools.partial(_digest_check, digest)) for digest in recipes.DIGESTS},
}


def _entry(spec: Mapping[str, Any]) -> tuple[str, Entry]:
    if not isinstance(spec, Mapping):
        raise ValueError("the password entry is not a mapping")
    name = spec.get("scheme")
    entry = _choice(IMPORTS, name)
    if entry is None:
        raise ValueError(f"scheme is not one of {', '.join(IMPORTS)}")
    keys = set(spec) - {"scheme"}
    missing, unknown = entry.required - keys, keys - entry.required - entry.optional
    if missing:
        raise ValueError(f"{name}: missing {', '.join(sorted(missing))}")
    if unknown:
        raise ValueError(f"{name}: unknown keys {', '.join(sorted(map(str, unknown)))}")
    return name, entry


def check_spec(spec: Mapping[str, Any]) -> None:
    """Refuses, before any row is read, an entry no row could complete: an unknown scheme, a
    missing or unknown key, a recipe that does not parse, a parameter out of range. Values
    from rows are templates here and are not looked at."""
    name, entry = _entry(spec)
    _prefixed(name, entry.check, spec)


def imported(spec: Mapping[str, Any]) -> str:
    """The stored, tagged hash for an entry with a row's values filled in; ValueError(reason)
    when a value does not have its scheme's shape. Plain and {noop} passwords are hashed here."""
    name, entry = _entry(spec)
    return _prefixed(name, entry.imported, spec)


@dataclass(frozen=True)
class Importer:
    """``imported`` for one description's entry, checked once (see ``importer``): it takes a row's
    entry and skips re-reading what every row shares (an import has a million rows). Picklable,
    so processes converting rows in parallel can be handed one."""
    scheme: str

    def __call__(self, filled: Mapping[str, Any]) -> str:
        return _prefixed(self.scheme, IMPORTS[self.scheme].imported, filled)


def importer(spec: Mapping[str, Any]) -> Importer:
    """Checks the entry (check_spec) and returns what turns each row's filled-in entry into a hash."""
    name, entry = _entry(spec)
    _prefixed(name, entry.check, spec)
    return Importer(name)


def _prefixed(name: str, step: Callable[[Mapping[str, Any]], Any], spec: Mapping[str, Any]) -> Any:
    try:
        return step(spec)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
