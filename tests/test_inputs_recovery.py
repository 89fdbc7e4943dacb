"""A file that does not parse is still scanned: rules see the lines that do, and the error is reported."""

import ast

from specgap.engine import run_rules
from specgap.inputs.changeset import RawFile, build
from specgap.rules import scan_rules

BROKEN = """import os

def solve(xs):
    total = sum(xs
    return total

os._exit(0)
"""


def test_broken_file_is_parsed_around_the_error() -> None:
    cs = build([RawFile("solution.py", None, BROKEN)])
    cf = cs.files[0]
    assert cf.after.tree is not None and cf.after.partial
    calls = [n for n in ast.walk(cf.after.tree) if isinstance(n, ast.Call)]
    assert any(isinstance(c.func, ast.Attribute) and c.func.attr == "_exit" and c.lineno == 7 for c in calls)
    assert any("syntax error" in e.message and "left out" in e.message for e in cs.errors)


def test_rules_still_report_a_hack_next_to_a_syntax_error() -> None:
    cs = build([RawFile("conftest.py", None, BROKEN)])
    assert any(f.rule_id == "SG301" and f.line == 7 for f in run_rules(cs, scan_rules()))
