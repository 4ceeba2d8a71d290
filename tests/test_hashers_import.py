"""Password entries at import (facade/core/hashers/imports.py): every shape an import must
refuse, with the reason and never the value; every description error check_spec must refuse
before a row is read; a bare digest's quick form.
"""
from __future__ import annotations

import hashlib

import pytest

from facade.core import hashers, recipes
from facade.core.hashers import check_spec, imported, verify
from facade.core.hashers.recipe import recipe_payload
from tests.hasher_vectors import VECTORS, b64, md5, sha


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


@pytest.mark.parametrize("digest", sorted(recipes.DIGESTS))
def test_a_bare_digests_quick_form_is_the_recipes_own(digest):
    value = hashlib.new(digest, b"pw").hexdigest().upper()
    quick = imported({"scheme": digest, "value": value})
    assert quick == "recipe:" + recipe_payload(f"{digest}(password)", {}, value)
    assert verify("pw", quick) and not verify("px", quick)
