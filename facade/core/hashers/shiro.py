"""Apache Shiro: SimpleHash is digest(salt + password), then digest(previous) for each further
iteration; Shiro1CryptFormat keeps all of it: $shiro1$ALG$iterations$b64salt$b64hash. An import
may also bring SimpleHash's parts (algorithm, iterations, salt, hex or base64): they are stored
as the $shiro1$ string they make."""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, Callable, Mapping

from facade.core.hashers.limits import SHIRO_MAX_ITERATIONS
from facade.core.hashers.reading import Format, as_stored, b64, choice, count, digest_size, hex_of, text_of, unhex, utf8

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
    iterations = count(parts[3], SHIRO_MAX_ITERATIONS, "iterations")
    return digest, iterations, b64(parts[4], None, "the salt"), b64(parts[5], digest_size(digest), "the hash")


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
    return hmac.compare_digest(_shiro_hash(digest, utf8(password), salt, iterations), expected)


FORMAT = Format(_shiro_verify, _shiro_read)


# -- import: a $shiro1$ value as it is, or SimpleHash's parts

def check(spec: Mapping[str, Any]) -> None:
    given = {"algorithm", "iterations"} & set(spec)
    if given and len(given) < 2:
        raise ValueError("SimpleHash needs both algorithm and iterations ($shiro1$ values need neither)")
    if not given and {"salt", "salt_encoding"} & set(spec):
        raise ValueError("salt is for SimpleHash values: name algorithm and iterations too")
    if given:
        _shiro_algorithm(spec["algorithm"])
        if not isinstance(spec["iterations"], str):  # a number in the description itself
            count(spec["iterations"], SHIRO_MAX_ITERATIONS, "iterations")
        _salt_decoder(spec)


def _shiro_algorithm(name: Any) -> str:
    canonical = _SHIRO_ALIASES.get(text_of(name, "algorithm").upper())
    if canonical is None:
        raise ValueError(f"algorithm is not one of {', '.join(SHIRO_ALGORITHMS)}")
    return canonical


_SALT_DECODERS: dict[str, Callable[[str], bytes]] = {
    "text": lambda salt: salt.encode("utf-8"),  # ByteSource.Util.bytes(String)
    "hex": lambda salt: unhex(salt, "the salt"),
    "base64": lambda salt: b64(salt, None, "the salt"),
}


def _salt_decoder(spec: Mapping[str, Any]) -> Callable[[str], bytes]:
    decoder = choice(_SALT_DECODERS, spec.get("salt_encoding", "text"))
    if decoder is None:
        raise ValueError(f"salt_encoding is not one of {', '.join(_SALT_DECODERS)}")
    return decoder


def imported(spec: Mapping[str, Any]) -> str:
    value = text_of(spec["value"], "value")
    if "algorithm" not in spec:
        return as_stored("shiro", _shiro_read, spec)
    if value.startswith("$shiro1$"):
        raise ValueError("a $shiro1$ value carries its own algorithm, iterations and salt")
    algorithm = _shiro_algorithm(spec["algorithm"])
    iterations = count(spec["iterations"], SHIRO_MAX_ITERATIONS, "iterations")
    salt = _salt_decoder(spec)(text_of(spec.get("salt", ""), "salt"))
    digest = _shiro_digest(value, digest_size(SHIRO_ALGORITHMS[algorithm]), algorithm)
    encoded = [base64.b64encode(part).decode("ascii") for part in (salt, digest)]
    return f"shiro:$shiro1${algorithm}${iterations}${encoded[0]}${encoded[1]}"


def _shiro_digest(value: str, size: int, algorithm: str) -> bytes:
    """SimpleHash's toHex() or toBase64(), told apart by length: base64 is the shorter."""
    if len(value) > len(base64.b64encode(bytes(size))):
        return bytes.fromhex(hex_of(value, size, f"value (the {algorithm} hex)"))
    return b64(value, size, f"value (the {algorithm} base64)")
