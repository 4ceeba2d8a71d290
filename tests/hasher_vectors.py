"""Import entries for every password scheme (facade/core/hashers/), each made independently of
the package: hashlib by hand, libpass's own hash(), argon2-cffi and bcrypt; for a short password
and a 100-character Chinese one."""
from __future__ import annotations

import base64
import hashlib

import argon2
import bcrypt
from argon2 import low_level as argon2_low
from passlib import hash as libpass


LONG = ("我的密码是一句很长很长的中文句子" * 7)[:100]  # 100 characters, 300 UTF-8 bytes
assert len(LONG) == 100 and len(LONG.encode()) == 300


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def sha(name: str, text: str) -> str:
    return hashlib.new(name, text.encode()).hexdigest()


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def simple_hash(name: str, password: str, salt: bytes, iterations: int) -> bytes:
    """Shiro's SimpleHash, written out from its source."""
    hashed = hashlib.new(name, salt + password.encode()).digest()
    for _ in range(iterations - 1):
        hashed = hashlib.new(name, hashed).digest()
    return hashed


def _vectors(password: str) -> dict[str, dict]:
    """Import entries for ``password`` in every scheme, each made without the module under test."""
    utf8 = password.encode()
    low = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    salt = "s@lt 盐"
    shiro_salt = b"\x00\x01binary salt"
    return {
        "sha256-bcrypt": {"scheme": "sha256-bcrypt",
                          "value": bcrypt.hashpw(b64(hashlib.sha256(utf8).digest()).encode(),
                                                 bcrypt.gensalt(4)).decode()},
        "bcrypt-2a": {"scheme": "bcrypt", "value": bcrypt.hashpw(utf8[:72], bcrypt.gensalt(4, b"2a")).decode()},
        "bcrypt-2b": {"scheme": "bcrypt", "value": bcrypt.hashpw(utf8[:72], bcrypt.gensalt(4, b"2b")).decode()},
        "bcrypt-2y": {"scheme": "bcrypt",
                      "value": "$2y$" + bcrypt.hashpw(utf8[:72], bcrypt.gensalt(4)).decode()[4:]},
        "django-pbkdf2-sha256": {"scheme": "django-pbkdf2",
                                 "value": libpass.django_pbkdf2_sha256.using(rounds=1000).hash(password)},
        "django-pbkdf2-sha1": {"scheme": "django-pbkdf2",
                               "value": libpass.django_pbkdf2_sha1.using(rounds=1000).hash(password)},
        "passlib-pbkdf2-sha256": {"scheme": "passlib-pbkdf2",
                                  "value": libpass.pbkdf2_sha256.using(rounds=1000).hash(password)},
        "passlib-pbkdf2-sha512": {"scheme": "passlib-pbkdf2",
                                  "value": libpass.pbkdf2_sha512.using(rounds=1000).hash(password)},
        "passlib-pbkdf2-sha1": {"scheme": "passlib-pbkdf2",
                                "value": libpass.pbkdf2_sha1.using(rounds=1000).hash(password)},
        "md5-crypt": {"scheme": "md5-crypt", "value": libpass.md5_crypt.hash(password)},
        "sha256-crypt": {"scheme": "sha256-crypt", "value": libpass.sha256_crypt.using(rounds=5000).hash(password)},
        "sha512-crypt": {"scheme": "sha512-crypt", "value": libpass.sha512_crypt.using(rounds=5000).hash(password)},
        **{f"ldap-{handler.name}": {"scheme": "ldap", "value": handler.hash(password)}
           for handler in (libpass.ldap_salted_sha1, libpass.ldap_sha1, libpass.ldap_salted_sha256,
                           libpass.ldap_salted_sha512, libpass.ldap_md5, libpass.ldap_salted_md5)},
        "argon2id": {"scheme": "argon2", "value": low.hash(password)},
        "argon2i": {"scheme": "argon2", "value": argon2_low.hash_secret(
            utf8, b"sixteen byte slt", 2, 1024, 1, 32, argon2_low.Type.I).decode()},
        "shiro-hex": {"scheme": "shiro", "algorithm": "SHA-256", "iterations": 3, "salt": salt,
                      "value": simple_hash("sha256", password, salt.encode(), 3).hex()},
        "shiro-base64-hex-salt": {"scheme": "shiro", "algorithm": "sha-512", "iterations": "2",
                                  "salt": shiro_salt.hex(), "salt_encoding": "hex",
                                  "value": b64(simple_hash("sha512", password, shiro_salt, 2))},
        "shiro-unsalted": {"scheme": "shiro", "algorithm": "SHA1", "iterations": 1,
                           "value": hashlib.sha1(utf8).hexdigest()},
        "shiro1": {"scheme": "shiro", "value": f"$shiro1$SHA-512$7${b64(shiro_salt)}$"
                                               f"{b64(simple_hash('sha512', password, shiro_salt, 7))}"},
        "spring-bcrypt": {"scheme": "spring",
                          "value": "{bcrypt}" + bcrypt.hashpw(utf8[:72], bcrypt.gensalt(4, b"2a")).decode()},
        "spring-md5": {"scheme": "spring", "value": "{MD5}{x1}" + md5(password + "{x1}")},
        "spring-sha1": {"scheme": "spring", "value": "{SHA-1}{盐}" + sha("sha1", password + "{盐}")},
        "spring-sha256-unsalted": {"scheme": "spring", "value": "{SHA-256}" + sha("sha256", password)},
        "spring-ldap": {"scheme": "spring", "value": "{ldap}" + libpass.ldap_salted_sha1.hash(password)},
        "spring-argon2": {"scheme": "spring", "value": "{argon2}" + low.hash(password)},
        "spring-noop": {"scheme": "spring", "value": "{noop}" + password},
        "spring-ldap-plain": {"scheme": "spring", "value": "{ldap}" + password},
        "recipe-discuz": {"scheme": "recipe", "recipe": "md5(md5(password) + salt)", "inputs": {"salt": salt},
                          "value": md5(md5(password) + salt)},
        "recipe-ruoyi": {"scheme": "recipe", "recipe": "md5(login_name + password + salt)",
                         "inputs": {"login_name": "张三", "salt": 42}, "value": md5("张三" + password + "42")},
        "recipe-sha1-salt-first": {"scheme": "recipe", "recipe": "sha1(salt + sha1(password))",
                                   "inputs": {"salt": salt}, "value": sha("sha1", salt + sha("sha1", password))},
        "recipe-braces": {"scheme": "recipe", "recipe": 'sha256(password + "{" + salt + "}")',
                          "inputs": {"salt": salt}, "value": sha("sha256", password + "{" + salt + "}")},
        "recipe-upper": {"scheme": "recipe", "recipe": "upper(sha512(upper(md5(password)) + salt))",
                         "inputs": {"salt": salt},
                         "value": sha("sha512", md5(password).upper() + salt).upper()},
        **{f"{name}-{position}": {"scheme": name, "salt": salt, "salt_position": position,
                                  "value": sha(name, salt + password if position == "before" else password + salt)}
           for name in ("md5", "sha1", "sha256", "sha512") for position in ("before", "after")},
        "sha256-unsalted": {"scheme": "sha256", "value": sha("sha256", password)},
        "plain": {"scheme": "plain", "value": password},
    }


PASSWORDS = {"ascii": "correct horse 7", "chinese": LONG}
VECTORS = {kind: _vectors(password) for kind, password in PASSWORDS.items()}
