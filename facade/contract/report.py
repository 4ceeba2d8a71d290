"""A run's results as a person reads them (one line per case, then each difference with the exact
answer) and as CI reads them (JUnit XML)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from facade.contract.runner import CaseResult


def text(dialect: str, target: str, results: list[CaseResult]) -> str:
    lines = []
    for result in results:
        state = "skip" if result.skipped else ("ok" if result.passed else "FAIL")
        lines.append(f"{state:4}  {dialect}: {result.case}  ({result.seconds:.2f} s)")
        if result.skipped:
            lines.append(f"      {result.skipped}")
        for difference in result.differences:
            lines.append(f"      {difference.line()}")
        if result.differences and result.body:
            lines.append(f"      the answer was: {result.body}")
    failed = sum(1 for r in results if r.differences)
    skipped = sum(1 for r in results if r.skipped)
    lines.append(f"{dialect} against {target}: {len(results) - failed - skipped} passed, {failed} failed, "
                 f"{skipped} skipped")
    return "\n".join(lines) + "\n"


def junit(dialect: str, results: list[CaseResult], path: Path) -> None:
    suite = ET.Element("testsuite", name=f"contract.{dialect}", tests=str(len(results)),
                       failures=str(sum(1 for r in results if r.differences)),
                       skipped=str(sum(1 for r in results if r.skipped)),
                       time=f"{sum(r.seconds for r in results):.3f}")
    for result in results:
        case = ET.SubElement(suite, "testcase", classname=f"contract.{dialect}", name=result.case,
                             time=f"{result.seconds:.3f}")
        if result.skipped:
            ET.SubElement(case, "skipped", message=result.skipped)
        elif result.differences:
            failure = ET.SubElement(case, "failure", message=result.differences[0].line())
            failure.text = "\n".join(d.line() for d in result.differences) + f"\nthe answer was: {result.body}"
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
