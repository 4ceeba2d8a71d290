"""The recipe parser (facade/core/recipes.py): what it reads, and its refusals with their positions."""
from __future__ import annotations

import pytest

from facade.core import recipes
from tests.hasher_vectors import md5


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
