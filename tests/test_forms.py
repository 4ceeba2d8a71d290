"""A urlencoded body's fields are what the standard library's parser reads from it, whatever the text."""
from __future__ import annotations

import random
from urllib.parse import parse_qsl

import pytest

from facade.dialect import forms

PIECES = ["a", "b", "=", "&", "+", "%", "%2", "%41", "%zz", "%E4%B8%AD", "%e4", " ", ";", "é", "中", "\x00", "=="]


def standard(text: str, limit: int) -> list[tuple[str, str]] | str:
    try:
        return parse_qsl(text, keep_blank_values=True, max_num_fields=limit)
    except ValueError:
        return "too many fields"


def ours(text: str, limit: int) -> list[tuple[str, str]] | str:
    try:
        return forms.fields(text, limit)
    except ValueError:
        return "too many fields"


@pytest.mark.parametrize("seed", range(4))
def test_fields_are_the_standard_parsers_on_any_text(seed):
    rng = random.Random(seed)
    for _ in range(20_000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 12)))
        for limit in (1, 2, 3, 256):
            assert ours(text, limit) == standard(text, limit), (text, limit)


@pytest.mark.parametrize("text, expected", [
    ("", []),
    ("&&", []),
    ("a", [("a", "")]),
    ("a=", [("a", "")]),
    ("=b", [("", "b")]),
    ("a=b=c&a=d", [("a", "b=c"), ("a", "d")]),
    ("pwd=p%40ss+word%2B", [("pwd", "p@ss word+")]),
    ("n=%E4%B8%AD&bad=%E4", [("n", "中"), ("bad", "\ufffd")]),
])
def test_fields_in_order_with_repeats_blanks_and_escapes(text, expected):
    assert forms.fields(text, 256) == expected


def test_the_field_limit_counts_separators_before_any_field_is_made():
    assert len(forms.fields("&".join(["a=1"] * 10), 10)) == 10
    with pytest.raises(ValueError):
        forms.fields("&".join(["a=1"] * 11), 10)
    with pytest.raises(ValueError):
        forms.fields("&" * 10, 10)  # empty fields count, as the standard parser counts them
