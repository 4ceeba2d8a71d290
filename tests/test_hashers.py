"""Password schemes (facade/core/hashers/) and recipes (facade/core/recipes.py).

Every scheme is checked against public vectors and against vectors made here
independently of the module: hashlib by hand, libpass's own hash(), argon2-cffi
and bcrypt. Then every shape an import must refuse, every description error
check_spec must refuse before a row is read, the recipe parser's refusals with
their positions, the work caps, and that no digest is compared with ``==``.
"""
from __future__ import annotations

import ast
import base64
import hashlib
import re
from pathlib import Path

import argon2
import bcrypt
import pytest
from argon2 import low_level as argon2_low
from passlib import hash as libpass

from facade.core import hashers, recipes
from facade.core.hashers import check_spec, imported, needs_upgrade, own_hash, verify
from facade.core.hashers.recipe import recipe_payload
from facade.core.passwords import PasswordHasher

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


# -- public vectors: (password, import entry, the stored form expected) -----------------------

PUBLIC = {
    "ruoyi": ("admin123", {"scheme": "recipe", "recipe": "md5(login_name + password + salt)",
                           "inputs": {"login_name": "admin", "salt": "111111"},
                           "value": "29c67a30398638269fe600f73a054934"},
              'recipe:{"hash":"29c67a30398638269fe600f73a054934","inputs":{"login_name":"admin","salt":"111111"},'
              '"recipe":"md5(login_name + password + salt)"}'),
    "ruoyi-vue": ("admin123",
                  {"scheme": "bcrypt", "value": "$2a$10$7JB720yubVSZvUI0rEqK/.VqGOZTH.ulu33dHOiBE8ByOhJIrdAu2"},
                  "bcrypt:$2a$10$7JB720yubVSZvUI0rEqK/.VqGOZTH.ulu33dHOiBE8ByOhJIrdAu2"),
    "discuz": ("123456", {"scheme": "recipe", "recipe": "md5(md5(password) + salt)", "inputs": {"salt": "abc123"},
                          "value": "F17C5399E1021A35BA69BBA302E3DA53"},
               'recipe:{"hash":"f17c5399e1021a35ba69bba302e3da53","inputs":{"salt":"abc123"},'
               '"recipe":"md5(md5(password) + salt)"}'),
    "shiro-simplehash": ("123456", {"scheme": "shiro", "algorithm": "MD5", "iterations": 1024, "salt": "abc123",
                                    "value": "ebb0ce60d9b8cd19f6908c4c3a1fbe2f"},
                         "shiro:$shiro1$MD5$1024$" + b64(b"abc123") + "$"
                         + b64(bytes.fromhex("ebb0ce60d9b8cd19f6908c4c3a1fbe2f"))),
    # Spring's MessageDigestPasswordEncoder javadoc
    "spring-md5": ("password", {"scheme": "spring", "value": "{MD5}{thisissalt}2a4e7104c2780098f50ed5a84bb2323d"},
                   "spring:{MD5}{thisissalt}2a4e7104c2780098f50ed5a84bb2323d"),
    # Spring's DelegatingPasswordEncoder javadoc
    "spring-bcrypt": ("password", {"scheme": "spring",
                                   "value": "{bcrypt}$2a$10$dXJ3SW6G7P50lGmMkkmwe.20cQQubK3.HZWzG3YB1tlRy.fqvM/BG"},
                      "spring:{bcrypt}$2a$10$dXJ3SW6G7P50lGmMkkmwe.20cQQubK3.HZWzG3YB1tlRy.fqvM/BG"),
    # Spring's Argon2PasswordEncoderTests
    "spring-argon2": ("sometestpassword", {"scheme": "spring", "value": "{argon2}$argon2id$v=19$m=4096,t=3,p=1$"
                                           "QUFBQUFBQUFBQUFBQUFBQQ$hmmTNyJlwbb6HAvFoHFWF+u03fdb0F2qA+39oPlcAqo"},
                      "spring:{argon2}$argon2id$v=19$m=4096,t=3,p=1$"
                      "QUFBQUFBQUFBQUFBQUFBQQ$hmmTNyJlwbb6HAvFoHFWF+u03fdb0F2qA+39oPlcAqo"),
    # Spring's LdapShaPasswordEncoderTests (slappasswd), lower-case label included
    "spring-ldap-ssha": ("boabspasswurd", {"scheme": "spring", "value": "{ldap}{ssha}PQy2j+6n5ytA+YlAKkM8Fh4p6u2JxfVd"},
                         "spring:{ldap}{SSHA}PQy2j+6n5ytA+YlAKkM8Fh4p6u2JxfVd"),
    "ldap-sha": ("boabspasswurd", {"scheme": "ldap", "value": "{SHA}ddSFGmjXYPbZC+NXR2kCzBRjqiE="},
                 "ldap:{SHA}ddSFGmjXYPbZC+NXR2kCzBRjqiE="),
    "ldap-ssha": ("boabspasswurd", {"scheme": "ldap", "value": "{SSHA}25ro4PKC8jhQZ26jVsozhX/xaP0suHgX"},
                  "ldap:{SSHA}25ro4PKC8jhQZ26jVsozhX/xaP0suHgX"),
    # Django 2.0's test suite
    "django": ("lètmein", {"scheme": "django-pbkdf2",
                           "value": "pbkdf2_sha256$100000$seasalt$BNZ6eyaNc8qFTJPjrAq99hSYb73EgAdytAtdBg2Sdcc="},
               "django-pbkdf2:pbkdf2_sha256$100000$seasalt$BNZ6eyaNc8qFTJPjrAq99hSYb73EgAdytAtdBg2Sdcc="),
    # Opal's puppet module: the admin password 'password' in Shiro's default format
    "shiro1": ("password", {"scheme": "shiro", "value": "$shiro1$SHA-256$500000$dxucP0IgyO99rdL0Ltj1Qg==$"
                                                        "qssS60kTC7TqE61/JFrX/OEk0jsZbYXjiGhR7/t+XNY="},
               "shiro:$shiro1$SHA-256$500000$dxucP0IgyO99rdL0Ltj1Qg==$qssS60kTC7TqE61/JFrX/OEk0jsZbYXjiGhR7/t+XNY="),
    # the crypt test vectors in glibc and Drepper's SHA-crypt specification
    "md5-crypt": ("Hello world!", {"scheme": "md5-crypt", "value": "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"},
                  "md5-crypt:$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"),
    "sha512-crypt": ("Hello world!", {"scheme": "sha512-crypt", "value": "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6"
                                      "BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
                     "sha512-crypt:$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/"
                     "UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."),
}


@pytest.mark.parametrize("name", PUBLIC)
def test_public_vectors_import_as_expected_and_verify(name):
    password, spec, expected = PUBLIC[name]
    stored = imported(spec)
    assert stored == expected
    assert verify(password, stored) is True
    assert verify(password + "x", stored) is False
    assert verify(password[1:], stored) is False
    assert verify("", stored) is False


# -- vectors made here, for the short and the 100-character Chinese password ------------------

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


TRUNCATED = {"bcrypt-2a", "bcrypt-2b", "bcrypt-2y", "spring-bcrypt"}  # bcrypt as jBCrypt: 72 bytes count


@pytest.mark.parametrize("kind", PASSWORDS)
@pytest.mark.parametrize("name", VECTORS["ascii"])
def test_every_scheme_accepts_the_right_password_and_refuses_a_wrong_one(name, kind):
    password = PASSWORDS[kind]
    stored = imported(VECTORS[kind][name])
    assert verify(password, stored) is True
    assert (verify(password[1:], stored), verify("x" + password, stored), verify("wrong", stored)) == (
        False, False, False)
    past_72_bytes = name in TRUNCATED and kind == "chinese"
    assert (verify(password[:-1], stored), verify(password + "1", stored)) == (past_72_bytes, past_72_bytes)


def test_the_vectors_cover_every_scheme_and_every_import_name():
    made = {kind: [imported(spec) for spec in VECTORS[kind].values()] for kind in PASSWORDS}
    for kind in PASSWORDS:
        assert {stored.split(":", 1)[0] for stored in made[kind]} == set(hashers.SCHEMES) - hashers.HELD_ELSEWHERE
        assert {spec["scheme"] for spec in VECTORS[kind].values()} == set(hashers.IMPORTS) - hashers.HELD_ELSEWHERE


def test_a_password_the_legacy_server_still_holds_matches_nothing_here():
    stored = imported({"scheme": "upstream"})
    assert stored == hashers.AWAITING
    assert [verify(password, stored) for password in ("", "upstream", "anything")] == [False, False, False]


def test_each_import_is_stored_under_the_scheme_that_reads_it():
    tags = {name: imported(spec).split(":", 1)[0] for name, spec in VECTORS["ascii"].items()}
    assert tags == {**{name: spec["scheme"] for name, spec in VECTORS["ascii"].items()},
                    "spring-noop": "django-pbkdf2", "spring-ldap-plain": "django-pbkdf2", "plain": "django-pbkdf2",
                    "md5-before": "recipe", "md5-after": "recipe", "sha1-before": "recipe", "sha1-after": "recipe",
                    "sha256-before": "recipe", "sha256-after": "recipe", "sha512-before": "recipe",
                    "sha512-after": "recipe", "sha256-unsalted": "recipe"}


def test_hex_and_labels_are_normalised_at_import():
    upper = imported({"scheme": "md5", "value": md5("pw").upper()})
    assert upper == 'recipe:{"hash":"%s","inputs":{},"recipe":"md5(password)"}' % md5("pw")
    spring = imported({"scheme": "spring", "value": "{SHA-256}" + sha("sha256", "pw").upper()})
    assert spring == "spring:{SHA-256}" + sha("sha256", "pw")
    ldap = libpass.ldap_salted_sha1.hash("pw")
    assert imported({"scheme": "ldap", "value": "{ssha}" + ldap[6:]}) == "ldap:" + ldap


def test_legacy_bcrypt_reads_only_the_first_72_bytes_as_jbcrypt_did_and_the_own_scheme_all():
    legacy = imported(VECTORS["chinese"]["bcrypt-2a"])
    own = own_hash(LONG, 4)
    same_start = LONG[:24] + "不同的结尾"  # the first 72 bytes are LONG's
    assert (verify(same_start, legacy), verify(same_start, own), verify(LONG, own)) == (True, False, True)


# -- the own scheme, and what needs an upgrade ------------------------------------------------

async def test_the_own_scheme_is_what_password_hasher_writes_tagged_or_not():
    hasher = PasswordHasher(rounds=4)
    tagged = await hasher.hash(LONG)
    assert re.fullmatch(r"sha256-bcrypt:\$2b\$04\$[./A-Za-z0-9]{53}", tagged)
    untagged = tagged.split(":", 1)[1]  # as rows made before hashes were tagged hold them
    assert verify(LONG, untagged) is True and verify(LONG, tagged) is True
    assert verify(LONG + "!", untagged) is False
    assert await hasher.verify(LONG, untagged) is True and await hasher.verify(LONG, own_hash(LONG, 4)) is True


def test_only_the_own_scheme_at_the_wanted_cost_needs_no_upgrade():
    own = own_hash("pw", 5)
    assert (needs_upgrade(own), needs_upgrade(own, 5), needs_upgrade(own, 6), needs_upgrade(own, 4)) == (
        False, False, True, False)
    assert needs_upgrade(own.split(":", 1)[1], 5) is False  # written before tags
    legacy = [imported(spec) for spec in VECTORS["ascii"].values() if spec["scheme"] != "sha256-bcrypt"]
    assert [needs_upgrade(stored) for stored in legacy] == [True] * len(legacy)


def test_a_plain_password_is_stored_as_salted_pbkdf2_in_djangos_format():
    first, second = hashers.from_plain("pw"), hashers.from_plain("pw", iterations=1000)
    algorithm, iterations, salt, digest = first.removeprefix("django-pbkdf2:").split("$")
    assert (algorithm, iterations, len(salt)) == ("pbkdf2_sha256", str(hashers.PLAIN_ITERATIONS), 32)
    assert base64.b64decode(digest) == hashlib.pbkdf2_hmac("sha256", b"pw", salt.encode(), hashers.PLAIN_ITERATIONS)
    assert second.split("$")[1] == "1000"
    assert first.split("$")[2] != hashers.from_plain("pw").split("$")[2]
    assert libpass.django_pbkdf2_sha256.verify("pw", first.removeprefix("django-pbkdf2:")) is True
    assert (verify("pw", first), verify("pw", second), verify("pW", first)) == (True, True, False)
    with pytest.raises(ValueError, match="^iterations 2000001 is above the 2000000 a login may spend$"):
        hashers.from_plain("pw", iterations=2_000_001)


# -- what verify refuses, and what it never raises for ---------------------------------------

@pytest.mark.parametrize("stored, reason", [
    ("", "no scheme tag"),
    ("e10adc3949ba59abbe56e057f20f883e", "no scheme tag"),
    ("md5:e10adc3949ba59abbe56e057f20f883e", "unknown scheme 'md5'"),
    ("plain:secret", "unknown scheme 'plain'"),
    ("bcrypt:$2a$10$tooshort", "not a $2a$/$2b$/$2y$ bcrypt hash (60 characters)"),
    ("sha256-bcrypt:$2a$04$" + "a" * 53, "not a $2b$ bcrypt hash (60 characters)"),
    ("spring:{noop}secret", "{noop} is refused: plain text is never stored (an import hashes it)"),
    ("spring:{ldap}secret", "Spring's LdapShaPasswordEncoder reads only {SHA} and {SSHA}"),
    ("recipe:{}", "not a recipe's JSON (recipe, inputs, hash)"),
    ('recipe:{"recipe":"md5(salt)","inputs":{},"hash":"00"}', "unknown name 'salt' (known: password) at position 4"),
    ("shiro:$shiro1$SHA-256$1000001$$" + b64(bytes(32)), "iterations 1000001 is above the 1000000 a login may spend"),
    ("django-pbkdf2:pbkdf2_sha256$0$salt$" + b64(bytes(32)), "iterations is not a whole number from 1"),
    ("argon2:$argon2id$v=19$m=4096,t=3,p=1$garbage", "not an argon2 PHC string "
                                                     "($argon2id$v=19$m=...,t=...,p=...$salt$hash)"),
])
def test_verify_raises_only_for_a_stored_value_no_scheme_can_read(stored, reason):
    with pytest.raises(ValueError) as refused:
        verify("pw", stored)
    assert str(refused.value) == reason


@pytest.mark.parametrize("password", ["pass\x00word", "\udcff\ud800", "", " " * 5])
@pytest.mark.parametrize("name", ["md5-crypt", "sha512-crypt", "bcrypt-2b", "sha256-bcrypt", "argon2id",
                                  "recipe-discuz", "ldap-ldap_salted_sha1", "shiro1", "django-pbkdf2-sha256"])
def test_no_password_makes_verify_raise(name, password):
    assert verify(password, imported(VECTORS["ascii"][name])) is False


def test_a_password_past_the_legacy_bound_is_refused_without_any_work(monkeypatch):
    stored = imported({"scheme": "sha512-crypt", "value": libpass.sha512_crypt.using(rounds=100_000).hash("pw")})

    def no_work(*args, **kwargs):
        raise AssertionError("sha512-crypt was run")
    monkeypatch.setattr(libpass.sha512_crypt, "verify", no_work)
    assert verify("密" * 1366, stored) is False  # 4098 bytes


# -- import: values without their scheme's shape ---------------------------------------------

def _with(name: str, **changes) -> dict:
    return {**VECTORS["ascii"][name], **changes}


REFUSED = [
    ({"scheme": "md5", "value": "e10adc3949ba59abbe56e057f20f883"}, "md5: value (the md5 digest) is not 32 hex digits"),
    ({"scheme": "sha1", "value": "z" * 40}, "sha1: value (the sha1 digest) is not 40 hex digits"),
    ({"scheme": "md5", "value": md5("x"), "salt": None, "salt_position": "after"}, "md5: input 'salt' is not text"),
    ({"scheme": "md5", "value": None}, "md5: value is not text"),
    ({"scheme": "bcrypt", "value": "$2x$10$7JB720yubVSZvUI0rEqK/.VqGOZTH.ulu33dHOiBE8ByOhJIrdAu2"},
     "bcrypt: not a $2a$/$2b$/$2y$ bcrypt hash (60 characters)"),
    ({"scheme": "bcrypt", "value": "$2a$15$7JB720yubVSZvUI0rEqK/.VqGOZTH.ulu33dHOiBE8ByOhJIrdAu2"},
     "bcrypt: bcrypt cost 15 is outside 4..14"),
    ({"scheme": "sha256-bcrypt", "value": "$2a$04$7JB720yubVSZvUI0rEqK/.VqGOZTH.ulu33dHOiBE8ByOhJIrdAu2"},
     "sha256-bcrypt: not a $2b$ bcrypt hash (60 characters)"),
    ({"scheme": "django-pbkdf2", "value": "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA"},
     "django-pbkdf2: Django algorithm is not one of pbkdf2_sha256, pbkdf2_sha1"),
    ({"scheme": "django-pbkdf2", "value": "pbkdf2_sha256$10000000$salt$" + b64(bytes(32))},
     "django-pbkdf2: iterations 10000000 is above the 2000000 a login may spend"),
    ({"scheme": "django-pbkdf2", "value": "pbkdf2_sha256$1000$salt$" + b64(bytes(20))},
     "django-pbkdf2: the hash decodes to 20 bytes, not 32"),
    ({"scheme": "django-pbkdf2", "value": "pbkdf2_sha256$1000$salt$not base64!"},
     "django-pbkdf2: the hash is not base64"),
    ({"scheme": "django-pbkdf2", "value": "pbkdf2_sha256$1000$" + b64(bytes(32))},
     "django-pbkdf2: not algorithm$iterations$salt$hash"),
    ({"scheme": "passlib-pbkdf2", "value": "$pbkdf2-sha384$1000$c2FsdA$aGFzaA"},
     "passlib-pbkdf2: does not start with $pbkdf2-sha256$ or $pbkdf2-sha512$ or $pbkdf2$"),
    ({"scheme": "passlib-pbkdf2", "value": "$pbkdf2-sha256$3000000$c2FsdHNhbHQ$" + "A" * 43},
     "passlib-pbkdf2: rounds 3000000 is above the 2000000 a login may spend"),
    ({"scheme": "sha512-crypt", "value": "$6$rounds=656000$saltsalt$" + "a" * 86},
     "sha512-crypt: rounds 656000 is above the 100000 a login may spend"),
    ({"scheme": "sha512-crypt", "value": "$6$saltsalt$" + "a" * 85},
     "sha512-crypt: malformed sha512_crypt hash (checksum must be exactly 86 chars)"),
    ({"scheme": "md5-crypt", "value": "$apr1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"}, "md5-crypt: does not start with $1$"),
    ({"scheme": "ldap", "value": "{CRYPT}$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"},
     "ldap: does not start with {SSHA} or {SHA} or {SSHA256} or {SSHA512} or {SMD5} or {MD5}"),
    ({"scheme": "ldap", "value": "{SSHA}" + b64(bytes(20) + bytes(17))},
     "ldap: salt too large (ldap_salted_sha1 requires <= 16 bytes)"),
    ({"scheme": "argon2", "value": "$argon2d$v=19$m=4096,t=3,p=1$QUFBQUFBQUFBQUFBQUFBQQ$" + "A" * 43},
     "argon2: does not start with $argon2id$ or $argon2i$"),
    ({"scheme": "argon2", "value": "$argon2id$v=19$m=524288,t=1,p=1$QUFBQUFBQUFBQUFBQUFBQQ$" + "A" * 43},
     "argon2: m=524288, t=1 is above the 262144 KiB and 1048576 KiB passes a login may spend"),
    ({"scheme": "argon2", "value": "$argon2id$v=19$m=65536,t=17,p=1$QUFBQUFBQUFBQUFBQUFBQQ$" + "A" * 43},
     "argon2: m=65536, t=17 is above the 262144 KiB and 1048576 KiB passes a login may spend"),
    ({"scheme": "argon2", "value": "$argon2id$v=19$m=65536,t=1,p=32$QUFBQUFBQUFBQUFBQUFBQQ$" + "A" * 43},
     "argon2: p=32 is above 16"),
    ({"scheme": "shiro", "value": "$shiro1$SHA-256$500000$" + b64(bytes(32))},
     "shiro: not $shiro1$algorithm$iterations$salt$hash"),
    ({"scheme": "shiro", "value": "$shiro1$MD2$1$$" + b64(bytes(16))},
     "shiro: Shiro algorithm is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"),
    ({"scheme": "shiro", "value": "$shiro1$MD5$1$$" + b64(bytes(20))}, "shiro: the hash decodes to 20 bytes, not 16"),
    ({"scheme": "shiro", "algorithm": "MD5", "iterations": 1, "value": "$shiro1$MD5$1$$" + b64(bytes(16))},
     "shiro: a $shiro1$ value carries its own algorithm, iterations and salt"),
    ({"scheme": "shiro", "algorithm": "MD5", "iterations": "1024", "value": "ebb0ce60d9b8cd19f6908c4c3a1fbe2"},
     "shiro: value (the MD5 hex) is not 32 hex digits"),
    ({"scheme": "shiro", "algorithm": "MD5", "iterations": 1024, "value": b64(bytes(15))},
     "shiro: value (the MD5 base64) decodes to 15 bytes, not 16"),
    ({"scheme": "shiro", "algorithm": "MD5", "iterations": "1e3", "value": md5("x")},
     "shiro: iterations is not a whole number from 1"),
    ({"scheme": "shiro", "algorithm": "MD5", "iterations": 1, "salt": "xyz", "salt_encoding": "hex", "value": md5("x")},
     "shiro: the salt is not hex"),
    ({"scheme": "spring", "value": "$2a$10$7JB720yubVSZvUI0rEqK/.VqGOZTH.ulu33dHOiBE8ByOhJIrdAu2"},
     "spring: does not start with Spring's {id}"),
    ({"scheme": "spring", "value": "{pbkdf2}5d923b44a6d129f3ddf3e3c8d29412723dcbde72445e8ef6bf3b508fbf17fa4ed4d6b99"
                                   "ca763d8dc"},
     "spring: {pbkdf2} is refused: Pbkdf2PasswordEncoder's secret, iterations and hash width are its configuration,"
     " not part of the stored value"),
    ({"scheme": "spring", "value": "{sha256}97cde38028ad898ebc02e690819fa220e88c62e0699403e94fff291cfffaf8410849f2"
                                   "7605abcbc0"},
     "spring: {sha256} is refused: StandardPasswordEncoder mixes in a secret that is its configuration,"
     " not part of the stored value"),
    ({"scheme": "spring", "value": "{MD4}{salt}" + "0" * 32}, "spring: {MD4} is refused: MD4 is not offered by this"
                                                              " service's hashlib"),
    ({"scheme": "spring", "value": "{foo}bar"},
     "spring: not a Spring encoder id read here (known: bcrypt, MD5, SHA-1, SHA-256, ldap, argon2,"
     " argon2@SpringSecurity_v5_8)"),
    ({"scheme": "spring", "value": "{MD5}{salt}" + "0" * 31}, "spring: the md5 digest (after any {salt}) is not"
                                                              " 32 hex digits"),
    ({"scheme": "spring", "value": "{MD5}{salt" + "0" * 32}, "spring: the md5 digest (after any {salt}) is not"
                                                             " 32 hex digits"),
    ({"scheme": "spring", "value": "{ldap}{SMD5}" + b64(bytes(20))},
     "spring: Spring's LdapShaPasswordEncoder reads only {SHA} and {SSHA}"),
    ({"scheme": "spring", "value": "{noop}"}, "spring: the password is empty"),
    ({"scheme": "recipe", "recipe": "md5(password + salt)", "inputs": {"salt": "s"}, "value": sha("sha1", "x")},
     "recipe: value (the md5 digest) is not 32 hex digits"),
    ({"scheme": "recipe", "recipe": "md5(password + salt)", "inputs": {"salt": "s" * 1025}, "value": md5("x")},
     "recipe: input 'salt' is longer than 1024 characters"),
    ({"scheme": "recipe", "recipe": "md5(password + salt)", "inputs": {"salt": ["s"]}, "value": md5("x")},
     "recipe: input 'salt' is not text"),
    ({"scheme": "recipe", "recipe": "md5(password + salt)", "inputs": {"salt": True}, "value": md5("x")},
     "recipe: input 'salt' is not text"),
    ({"scheme": "plain", "value": ""}, "plain: the password is empty"),
    ({"scheme": "plain", "value": 123456}, "plain: the password is not text"),
    ({"scheme": "plain", "value": "密" * 1366}, "plain: the password is longer than 4096 bytes"),
]


@pytest.mark.parametrize("spec, reason", REFUSED, ids=[reason.split(":")[0] + "-" + str(i)
                                                       for i, (_, reason) in enumerate(REFUSED)])
def test_an_import_value_without_its_schemes_shape_is_refused_with_the_reason(spec, reason):
    with pytest.raises(ValueError) as refused:
        imported(spec)
    assert str(refused.value) == reason


def test_an_error_never_repeats_the_value():
    secret = "hunter2-my-real-password"
    for spec in ({"scheme": "md5", "value": secret}, {"scheme": "bcrypt", "value": secret},
                 {"scheme": "spring", "value": "{" + secret + "}"}, {"scheme": "ldap", "value": secret}):
        with pytest.raises(ValueError) as refused:
            imported(spec)
        assert "hunter2" not in str(refused.value)
    for stored in (secret, "Hunter2:" + secret):
        with pytest.raises(ValueError) as refused:
            verify("pw", stored)
        assert str(refused.value) == "no scheme tag"


# -- check_spec: the description, before any row -----------------------------------------------

ROW = "$row.hash"
GOOD_SPECS = [
    {"scheme": "md5", "value": ROW},
    {"scheme": "sha256", "value": ROW, "salt": "$row.salt", "salt_position": "before"},
    {"scheme": "recipe", "recipe": "md5(login_name + password + salt)", "value": ROW,
     "inputs": {"login_name": "$row.login_name", "salt": "$row.salt"}},
    {"scheme": "shiro", "value": ROW},
    {"scheme": "shiro", "value": ROW, "algorithm": "SHA-256", "iterations": 1024, "salt": "$row.salt",
     "salt_encoding": "base64"},
    {"scheme": "shiro", "value": ROW, "algorithm": "md5", "iterations": "$row.iterations"},
    *({"scheme": name, "value": ROW} for name in ("sha256-bcrypt", "bcrypt", "django-pbkdf2", "passlib-pbkdf2",
                                                   "md5-crypt", "sha256-crypt", "sha512-crypt", "ldap", "argon2",
                                                   "spring", "plain")),
]


@pytest.mark.parametrize("spec", GOOD_SPECS, ids=[s["scheme"] for s in GOOD_SPECS])
def test_a_sound_description_passes_check_spec(spec):
    assert check_spec(spec) is None


BAD_SPECS = [
    ({"scheme": "md6", "value": ROW}, "scheme is not one of " + ", ".join(hashers.IMPORTS)),
    ({"value": ROW}, "scheme is not one of " + ", ".join(hashers.IMPORTS)),
    ({"scheme": ["md5"], "value": ROW}, "scheme is not one of " + ", ".join(hashers.IMPORTS)),
    (["md5"], "the password entry is not a mapping"),
    ({"scheme": "md5"}, "md5: missing value"),
    ({"scheme": "md5", "value": ROW, "salt": "$row.salt", "salt_postion": "after"}, "md5: unknown keys salt_postion"),
    ({"scheme": "md5", "value": ROW, "salt": "$row.salt"}, "md5: a salt needs salt_position: before or after"),
    ({"scheme": "md5", "value": ROW, "salt": "$row.salt", "salt_position": "middle"},
     "md5: a salt needs salt_position: before or after"),
    ({"scheme": "md5", "value": ROW, "salt": "$row.salt", "salt_position": ["after"]},
     "md5: a salt needs salt_position: before or after"),
    ({"scheme": "sha1", "value": ROW, "salt_position": "after"}, "sha1: salt_position without a salt"),
    ({"scheme": "bcrypt", "value": ROW, "salt": "$row.salt"}, "bcrypt: unknown keys salt"),
    ({"scheme": "recipe", "value": ROW}, "recipe: missing recipe"),
    ({"scheme": "recipe", "value": ROW, "recipe": "md5(md5(password) + salt"},
     "recipe: unknown name 'salt' (known: password) at position 20"),
    ({"scheme": "recipe", "value": ROW, "recipe": "md5(md5(password) + salt", "inputs": {"salt": "$row.salt"}},
     "recipe: expected ')' to close md5( at position 0, found the end of the recipe at position 24"),
    ({"scheme": "recipe", "value": ROW, "recipe": "md5(salt)", "inputs": {"salt": "$row.salt"}},
     "recipe: the recipe does not use the password"),
    ({"scheme": "recipe", "value": ROW, "recipe": "password + salt", "inputs": {"salt": "$row.salt"}},
     "recipe: the recipe's result is not a digest: it would keep the password itself"),
    ({"scheme": "recipe", "value": ROW, "recipe": "upper(password)"},
     "recipe: the recipe's result is not a digest: it would keep the password itself"),
    ({"scheme": "recipe", "value": ROW, "recipe": "md5(password)", "inputs": {"salt": "$row.salt"}},
     "recipe: inputs the recipe does not use: salt"),
    ({"scheme": "recipe", "value": ROW, "recipe": "md5(password)", "inputs": {"password": "$row.pw"}},
     "recipe: 'password' is the password itself, not an input"),
    ({"scheme": "recipe", "value": ROW, "recipe": "md5(password)", "inputs": "$row.salt"},
     "recipe: inputs is not a mapping of names to values"),
    ({"scheme": "recipe", "value": ROW, "recipe": ["md5(password)"]}, "recipe: the recipe is not text"),
    ({"scheme": "shiro", "value": ROW, "algorithm": "MD5"},
     "shiro: SimpleHash needs both algorithm and iterations ($shiro1$ values need neither)"),
    ({"scheme": "shiro", "value": ROW, "salt": "$row.salt"},
     "shiro: salt is for SimpleHash values: name algorithm and iterations too"),
    ({"scheme": "shiro", "value": ROW, "algorithm": "MD2", "iterations": 1},
     "shiro: algorithm is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"),
    ({"scheme": "shiro", "value": ROW, "algorithm": "MD5", "iterations": 2_000_000},
     "shiro: iterations 2000000 is above the 1000000 a login may spend"),
    ({"scheme": "shiro", "value": ROW, "algorithm": "MD5", "iterations": 0},
     "shiro: iterations is not a whole number from 1"),
    ({"scheme": "shiro", "value": ROW, "algorithm": "MD5", "iterations": 1, "salt_encoding": "utf-16"},
     "shiro: salt_encoding is not one of text, hex, base64"),
    ({"scheme": "shiro", "value": ROW, "algorithm": "MD5", "iterations": 1, "salt_encoding": {"hex": True}},
     "shiro: salt_encoding is not one of text, hex, base64"),
]


@pytest.mark.parametrize("spec, reason", BAD_SPECS, ids=[reason.split(":")[0] + "-" + str(i)
                                                         for i, (_, reason) in enumerate(BAD_SPECS)])
def test_check_spec_refuses_a_description_no_row_could_complete(spec, reason):
    with pytest.raises(ValueError) as refused:
        check_spec(spec)
    assert str(refused.value) == reason


# -- the recipe parser ------------------------------------------------------------------------

def test_a_recipe_reads_names_literals_and_nested_functions():
    recipe = recipes.parse(' upper( md5( "a\\"b\\\\" + password ) )+lower("X")', ["salt"])
    assert (recipe.names, recipe.digest) == ({"password"}, None)
    assert recipes.parse('lower(upper(sha1(salt + "{" + password)))', ["salt"]).digest == "sha1"
    assert recipe.evaluate({"password": "pw"}) == md5('a"b\\pw').upper() + "x"
    assert recipes.parse("md5(" * 8 + "password" + ")" * 8, []).evaluate({"password": "p"}) == md5(
        md5(md5(md5(md5(md5(md5(md5("p"))))))))


@pytest.mark.parametrize("text, position, problem", [
    ("md5(password", 12, "expected ')' to close md5( at position 0, found the end of the recipe"),
    ("md5((password)", 4, "expected a name, a string or a function, found '('"),
    ("md5(password))", 13, "unexpected ')' after the end of the recipe"),
    ("md5(password) salt", 14, "unexpected 'salt' after the end of the recipe"),
    ("md5(password) + salt;", 20, "unexpected ';' after the end of the recipe"),
    ("md6(password)", 0, "unknown function 'md6' (known: md5, sha1, sha256, sha512, upper, lower)"),
    ("md5(password + login)", 15, "unknown name 'login' (known: password, salt)"),
    ("md5 + password", 4, "md5 is a function: expected '(' after it"),
    ("md5(password + )", 15, "expected a name, a string or a function, found ')'"),
    ("", 0, "expected a name, a string or a function, found the end of the recipe"),
    ("md5(password + 'salt')", 15, "expected a name, a string or a function, found \"'\""),
    ('md5(password + "salt)', 15, "unterminated string"),
    ('md5(password + "a\\nb")', 17, 'unknown escape in a string (known: \\" and \\\\)'),
    ("md5(" * 9 + "password" + ")" * 9, 32, "functions nested deeper than 8"),
    ("md5(password)" + " + salt" * 72, 512, "longer than 512 characters"),
    ("__import__('os')", 0, "unknown function '__import__' (known: md5, sha1, sha256, sha512, upper, lower)"),
])
def test_the_recipe_parser_refuses_bad_input_naming_the_position(text, position, problem):
    with pytest.raises(recipes.RecipeError) as refused:
        recipes.parse(text, ["salt"])
    assert (refused.value.position, str(refused.value)) == (position, f"{problem} at position {position}")


def test_a_name_called_like_a_function_is_an_unknown_function():
    with pytest.raises(recipes.RecipeError) as refused:
        recipes.parse("salt(password)", ["salt"])
    assert str(refused.value) == ("unknown function 'salt' (known: md5, sha1, sha256, sha512, upper, lower)"
                                  " at position 0")


# -- constant-time comparison ----------------------------------------------------------------

SCHEME_MODULES = sorted(Path(hashers.__file__).parent.glob("*.py"))
MODULES = [*SCHEME_MODULES, Path(recipes.__file__)]


def _equalities(path: Path) -> list[ast.Compare]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Compare)
            and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops)]


def _fixed(node: ast.expr) -> bool:
    """A side no digest can be on: a literal, or a length."""
    return isinstance(node, ast.Constant) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_digest_is_compared_with_eq(path):
    """Every == or != in the module has a literal or a length on one side, so no two computed
    values (a digest and the one stored) are ever compared with it."""
    loose = [ast.unparse(node) for node in _equalities(path)
             if not any(_fixed(side) for side in [node.left, *node.comparators])]
    assert loose == []


def test_the_hand_written_schemes_compare_with_compare_digest():
    """Those the module computes itself; libpass, argon2-cffi and bcrypt compare in constant time."""
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in SCHEME_MODULES]
    comparing = {function.name for tree in trees for function in ast.walk(tree) if isinstance(function, ast.FunctionDef)
                 for call in ast.walk(function) if isinstance(call, ast.Call)
                 and ast.unparse(call.func) == "hmac.compare_digest"}
    assert comparing == {"_django_verify", "_shiro_verify", "_message_digest_verify", "_recipe_verify"}


def test_passlibs_bcrypt_handler_is_not_used():
    """It breaks with bcrypt >= 4.1; bcrypt itself is called instead."""
    assert not any("libpass.bcrypt" in path.read_text(encoding="utf-8") for path in SCHEME_MODULES)


@pytest.mark.parametrize("digest", sorted(recipes.DIGESTS))
def test_a_bare_digests_quick_form_is_the_recipes_own(digest):
    value = hashlib.new(digest, b"pw").hexdigest().upper()
    quick = imported({"scheme": digest, "value": value})
    assert quick == "recipe:" + recipe_payload(f"{digest}(password)", {}, value)
    assert verify("pw", quick) and not verify("px", quick)
