"""Contract cases as data: each case is steps a client takes, each step a request and the answer
it must get (status, headers, exact body), with the fields that change every run (tokens, ids,
expiry) named by JSON pointer and left out of the comparison, and values one step captures for
the next.

A case file lives beside its mapping: ``<mappings dir>/cases/<dialect>.yaml``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from facade import yamlfile
from facade import shipped

ABSENT = object()  # a step that expects no particular body


class CaseError(Exception):
    """A case file that cannot be run: file, case and reason."""


@dataclass(frozen=True)
class Step:
    name: str
    route: str
    outcome: str
    request: dict[str, Any]
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = ABSENT
    text: str | None = None
    volatile: tuple[str, ...] = ()
    capture: dict[str, str] = field(default_factory=dict)
    learn_code: Any = None  # after the answer: the code just sent to this target becomes $code
    expire_codes: Any = None  # after the answer: the codes sent to this target expire
    repeat: int = 1  # sent this many times, $index counting from 1


@dataclass(frozen=True)
class Case:
    name: str
    steps: tuple[Step, ...]
    needs: tuple[str, ...] = ()  # what the target must provide: "app" (an app id and secret)
    cookies: bool = True  # False: a client that keeps no cookies (OkHttp's default)


@dataclass(frozen=True)
class Suite:
    dialect: str
    file: Path
    cases: tuple[Case, ...]
    # dialect-level outcome entries no route of this dialect can answer, each with the reason
    unreachable: dict[str, str] = field(default_factory=dict)

    def covered(self) -> set[tuple[str, str]]:
        """Every (route, outcome) some step declares it answers."""
        return {(step.route, step.outcome) for case in self.cases for step in case.steps}


def cases_file(mappings_dir: Path, dialect: str) -> Path:
    return mappings_dir / "cases" / f"{dialect}.yaml"


def load(path: Path) -> Suite:
    try:
        raw = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CaseError(f"{path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise CaseError(f"{path}: not valid YAML: {error}".replace("\n", " ")) from None
    problem = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(_schema()).iter_errors(raw))
    if problem is not None:
        where = "/".join(str(p) for p in problem.absolute_path) or "top level"
        raise CaseError(f"{path}: {where}: {problem.message}")
    names = [case["name"] for case in raw["cases"]]
    if len(set(names)) != len(names):
        raise CaseError(f"{path}: two cases share the name {next(n for n in names if names.count(n) > 1)!r}")
    for case in raw["cases"]:
        if "expire_codes" not in case.get("needs", ()) and any("expire_codes" in step for step in case["steps"]):
            raise CaseError(f"{path}: case {case['name']!r}: a step expires codes, so the case needs: [expire_codes]")
    return Suite(raw["dialect"], path, tuple(_case(case) for case in raw["cases"]), raw.get("unreachable", {}))


def _case(raw: dict[str, Any]) -> Case:
    steps = tuple(_step(step, i) for i, step in enumerate(raw["steps"], start=1))
    return Case(raw["name"], steps, tuple(raw.get("needs", ())), raw.get("cookies", True))


def _step(raw: dict[str, Any], number: int) -> Step:
    expect = raw["expect"]
    return Step(name=raw.get("name", f"step {number}"), route=raw["route"], outcome=raw["outcome"],
                request=raw["request"], status=expect["status"], headers=expect.get("headers", {}),
                body=expect.get("body", ABSENT), text=expect.get("text"), volatile=tuple(expect.get("volatile", ())),
                capture=raw.get("capture", {}), learn_code=raw.get("learn_code"), expire_codes=raw.get("expire_codes"),
                repeat=raw.get("repeat", 1))


def _schema() -> dict[str, Any]:
    return json.loads((shipped.SCHEMAS / "contract.schema.json").read_text(encoding="utf-8"))
