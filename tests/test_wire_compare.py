"""The one comparison of two JSON answers (facade/wire/compare.py) and the one rule of what in them is
volatile (facade/wire/volatile.py), as the contract kit and shadow mode use them. Each row is a pair
of answers and every difference expected of it, exactly: a difference missed or one too many fails."""
from __future__ import annotations

import json

import pytest
from multidict import CIMultiDict

from facade.app import load_config_dialects
from facade.contract.cases import Step
from facade.contract.runner import _compare_json
from facade.upstream.answers import reading
from facade.upstream.client import Answer, Call
from facade.upstream.compare import Served, compare
from facade.wire import volatile
from facade.wire.compare import MISSING, ORDER, VALUE, VOLATILE, Difference, differences

# (name, left, right, volatile pointers, key order compared, the differences expected)
DIFFS = [
    ("same", {"a": 1, "b": [1, {"c": None}]}, {"a": 1, "b": [1, {"c": None}]}, (), False, []),
    ("a key only the right side has", {"a": 1}, {"a": 1, "extra": 2}, (), False, [("/extra", MISSING, 2)]),
    ("a key only the left side has", {"a": 1, "b": 2}, {"a": 1}, (), False, [("/b", 2, MISSING)]),
    ("a text", {"code": 0, "msg": "ok"}, {"code": 0, "msg": "成功"}, (), False, [("/msg", "ok", "成功")]),
    ("1 against '1'", {"a": 1}, {"a": "1"}, (), False, [("/a", 1, "1")]),
    ("1 against true", {"a": 1}, {"a": True}, (), False, [("/a", 1, True)]),
    ("0 against false", [0], [False], (), False, [("/0", 0, False)]),
    ("1 against 1.0", {"a": 1}, {"a": 1.0}, (), False, [("/a", 1, 1.0)]),
    ("null against absent", {"a": None}, {}, (), False, [("/a", None, MISSING)]),
    ("absent against null", {}, {"a": None}, (), False, [("/a", MISSING, None)]),
    ("null against a value", {"a": None}, {"a": 0}, (), False, [("/a", None, 0)]),
    ("a longer list", {"l": [1, 2]}, {"l": [1, 2, 3]}, (), False, [("/l", [1, 2], [1, 2, 3])]),
    ("an empty list", {"l": [1]}, {"l": []}, (), False, [("/l", [1], [])]),
    ("one element", {"l": [1, {"x": 2}]}, {"l": [1, {"x": 3}]}, (), False, [("/l/1/x", 2, 3)]),
    ("an object against a list", {"a": {}}, {"a": []}, (), False, [("/a", {}, [])]),
    ("whole documents", 1, 2, (), False, [("/", 1, 2)]),
    ("keys needing escapes", {"a/b": 1, "m~n": 1}, {"a/b": 2, "m~n": 2}, (), False,
     [("/a~1b", 1, 2), ("/m~0n", 1, 2)]),
    ("in document order, the right side's own keys last", {"b": 1, "a": 1}, {"c": 1, "a": 2, "b": 2}, (), False,
     [("/b", 1, 2), ("/a", 1, 2), ("/c", MISSING, 1)]),
    ("a volatile value", {"t": "x", "u": 1}, {"t": "y", "u": 1}, ("/t",), False, []),
    ("a volatile value of another type", {"t": "x"}, {"t": {"y": 1}}, ("/t",), False, []),
    ("a volatile key the right side lacks", {"t": "x"}, {}, ("/t",), False, [("/t", VOLATILE, MISSING)]),
    ("a volatile key the left side lacks", {}, {"t": "y"}, ("/t",), False, [("/t", MISSING, VOLATILE)]),
    ("a volatile key null on one side", {"t": None}, {"t": "y"}, ("/t",), False, []),
    ("a volatile subtree", {"s": {"a": 1}}, {"s": {"b": 2}}, ("/s",), False, []),
    ("volatile is that place only", {"t": 1, "u": {"t": 1}}, {"t": 2, "u": {"t": 2}}, ("/t",), False,
     [("/u/t", 1, 2)]),
    ("key order where the wire is byte-exact", {"a": 1, "b": 2}, {"b": 2, "a": 1}, (), True,
     [("/", ["a", "b"], ["b", "a"], ORDER)]),
    ("key order inside", {"x": {"a": 1, "b": 2}}, {"x": {"b": 2, "a": 1}}, (), True,
     [("/x", ["a", "b"], ["b", "a"], ORDER)]),
    ("key order of the keys both have", {"a": 1, "z": 0, "b": 2}, {"a": 1, "b": 2}, (), True, [("/z", 0, MISSING)]),
    ("key order, and a value", {"a": 1, "b": 2}, {"b": 3, "a": 1}, (), True,
     [("/", ["a", "b"], ["b", "a"], ORDER), ("/b", 2, 3)]),
    ("key order where JSON is read", {"a": 1, "b": 2}, {"b": 2, "a": 1}, (), False, []),
    ("key order of a volatile object", {"s": {"a": 1, "b": 2}}, {"s": {"b": 2, "a": 1}}, ("/s",), True, []),
]


@pytest.mark.parametrize("left, right, volatile_, ordered, expected",
                         [row[1:] for row in DIFFS], ids=[row[0] for row in DIFFS])
def test_each_difference_is_named_with_its_pointer_and_both_values(left, right, volatile_, ordered, expected):
    found = differences(left, right, frozenset(volatile_), ordered)
    assert found == [Difference(*row) for row in expected]
    assert all(d.kind in (VALUE, ORDER) for d in found)


def test_the_contract_kit_names_what_differs_and_leaves_out_what_the_case_declares_volatile():
    step = Step("login", "login", "ok", {}, 200, volatile=("/data/token",))
    expected = {"code": 0, "msg": "ok", "data": {"token": "$token", "userId": 7}}
    got = {"code": 0, "msg": "成功", "data": {"token": "f00d", "userId": 7, "extra": None}}
    assert [(d.where, d.expected, d.got) for d in _compare_json(step, expected, json.dumps(got))] == [
        ("body /msg", "ok", "成功"), ("body /data/extra", MISSING, None)]


# (dialect, route, the facade's status and body, the legacy server's, the differences expected)
SHADOWED = [
    ("istatus", "login",  # a success's "200" against a failure's code: the slot is named "code", yet no request fact
     (200, {"status": {"status_code": "200", "status_message": "OK"}, "content": {"id": "7", "memo": ""}}),
     (200, {"status": {"status_code": "3201", "status_message": "没有此用户"}, "content": {}}),
     [("outcome", "success", "failure"), ("body /status/status_code", "200", "3201"),
      ("body /status/status_message", "OK", "没有此用户"), ("body /content/id", VOLATILE, MISSING),
      ("body /content/memo", "", MISSING)]),
    ("istatus", "login",  # one failure against another
     (200, {"status": {"status_code": "3202", "status_message": "密码错误"}, "content": {}}),
     (200, {"status": {"status_code": "3201", "status_message": "没有此用户"}, "content": {}}),
     [("body /status/status_code", "3202", "3201"), ("body /status/status_message", "密码错误", "没有此用户")]),
    ("istatus", "login",  # ids differ between two servers: present, value not compared
     (200, {"status": {"status_code": "200", "status_message": "OK"}, "content": {"id": "7", "gid": "1"}}),
     (200, {"status": {"status_code": "200", "status_message": "OK"}, "content": {"id": "91", "gid": "x"}}),
     []),
    ("express", "login",  # a text of the envelope's own
     (200, {"code": 0, "msg": "", "userMsg": "", "data": None}),
     (200, {"code": 0, "msg": "success", "userMsg": "", "data": None}),
     [("body /msg", "", "success")]),
    ("express", "login",  # the route's data: its token and id are volatile, its other fields are not
     (200, {"code": 0, "msg": "", "userMsg": "", "data": {"authorization": "a", "isCertified": False, "userId": 7}}),
     (200, {"code": 0, "msg": "", "userMsg": "", "data": {"authorization": "b", "isCertified": True, "userId": 9}}),
     [("body /data/isCertified", False, True)]),
    ("express", "login",  # a volatile field only the legacy server answers
     (200, {"code": 0, "msg": "", "userMsg": "", "data": {"isCertified": False}}),
     (200, {"code": 0, "msg": "", "userMsg": "", "data": {"isCertified": False, "authorization": "b"}}),
     [("body /data/authorization", MISSING, VOLATILE)]),
    ("express", "login",  # a field only the legacy server answers
     (200, {"code": 0, "msg": "", "userMsg": "", "data": None}),
     (200, {"code": 0, "msg": "", "userMsg": "", "data": None, "traceId": "x"}),
     [("body /traceId", MISSING, "x")]),
]


@pytest.fixture
def dialects(make_config):
    return {dialect.name: dialect for dialect in load_config_dialects(make_config())}


@pytest.mark.parametrize("dialect, route, facade, legacy, expected", SHADOWED)
def test_shadow_mode_names_each_difference_the_mapping_does_not_say_is_volatile(dialects, dialect, route, facade,
                                                                                legacy, expected):
    declared = dialects[dialect]
    read = reading(declared, next(r for r in declared.routes if r.name == route))
    headers = CIMultiDict({"Content-Type": "application/json"})
    call = Call("POST", "/", CIMultiDict(), b"")
    served = Served(route, "ok", call, facade[0], "application/json", json.dumps(facade[1]).encode())
    answer = Answer(legacy[0], "OK", headers, json.dumps(legacy[1]).encode())
    assert [(d.where, d.facade, d.legacy) for d in compare(served, answer, read)] == expected


def test_only_request_facts_are_volatile_never_an_envelope_slot():
    data = [("/data/token", [("token",)]), ("/data/code", [("code",)]), ("/data/name", [("user", "username")]),
            ("/data/when", [("session", "expires_at")]), ("/data/fixed", [])]
    envelopes = [("/code", [("code",)]), ("/message", [("message",)]), ("/timestamp", [("timestamp",)])]
    assert volatile.pointers(("/upwd",), data, envelopes) == {"/upwd", "/data/token", "/data/code", "/data/when",
                                                              "/timestamp"}


def test_no_envelope_slot_of_any_mapping_is_volatile(dialects):
    for declared in dialects.values():
        slots = set(declared.failure.slots) | set(declared.success.slots)
        for route in declared.routes:
            read = reading(declared, route)
            filled = {p for p, leaf in _slot_leaves(declared.failure.body, slots)}
            assert not filled & read.volatile, (declared.name, route.name)


def _slot_leaves(template, slots, pointer=""):
    if isinstance(template, dict):
        for key, value in template.items():
            yield from _slot_leaves(value, slots, f"{pointer}/{key}")
    elif getattr(template, "path", None) and template.path[0] in slots:
        yield pointer, template
