"""Password schemes (facade/core/hashers/): every scheme checked against public vectors and
against the vectors tests/hasher_vectors.py makes independently of the package; the own
scheme and when a login upgrades a hash; what verify refuses and never raises for.
"""
from __future__ import annotations

import base64
import hashlib
import re

import pytest
from passlib import hash as libpass

from facade.core import hashers
from facade.core.hashers import imported, needs_upgrade, own_hash, verify
from facade.core.passwords import PasswordHasher
from tests.hasher_vectors import LONG, PASSWORDS, VECTORS, b64, md5, sha


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
