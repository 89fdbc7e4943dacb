"""SG502 oracle-read: Product code that reads the tests, their expected outputs or pytest's records."""

from __future__ import annotations

import re
from typing import Iterator

from specgap.analysis.context import Context
from specgap.model import (
    ChangedFile,
    ChangeSet,
    Confidence,
    FileRole,
    Finding,
    Kind,
    Severity,
)
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.leaks._shared import (
    _basename,
    _command,
    _file_and_shell_calls,
    _path_text,
    _read_targets,
)

_ANSWER_FILE = re.compile(r"^(expected|expect|answers?|test_?cases?|testcases|ground_?truth|oracle|hidden_?tests?)"
                          r"([_.\-\d].*)?$")
_GOLD_FILE = re.compile(r"^(gold(en)?|reference_?(outputs?|answers?|solutions?))([_.\-\d].*)?$")
_TEST_SOURCE = re.compile(r"^(test_.*\.py|.*_test\.py|conftest\.py|tests?\.py)$")
_TEST_DIRS = frozenset({"tests", "test", "testing", "hidden_tests"})
_VIEWERS = frozenset({"cat", "head", "tail", "less", "more", "grep", "find", "ls", "cp", "sed", "awk", "type"})


def _oracle(path: str) -> tuple[Severity, str] | None:
    """How clearly a path names test sources, expected outputs or pytest's records."""
    segs = [s for s in path.lower().split("/") if s and s != "."]
    if not segs:
        return None
    base = segs[-1]
    if ".pytest_cache" in segs:
        return Severity.HIGH, "pytest's cache (last-failed and collected test ids)"
    if _ANSWER_FILE.match(base):
        return Severity.HIGH, "expected outputs / test cases"
    if _TEST_SOURCE.match(base) and ("*" not in base or base.startswith("test")):
        return Severity.HIGH if "*" not in base else Severity.MEDIUM, "test source files"
    if _GOLD_FILE.match(base):
        return Severity.MEDIUM, "reference outputs"
    if "*" in base and "test" in base:
        return Severity.MEDIUM, "files matching a test-name pattern"
    if any(s in _TEST_DIRS for s in segs):
        return Severity.LOW, "the test directory"
    return None


@register
class OracleRead(Rule):
    """Product code that reads the tests, their expected outputs or pytest's records.

    What it does: finds file reads, listings and globs (`open`, `Path.read_text`, `glob`,
    `os.walk`, `np.load`, `cat` in a subprocess ...) in product code whose path, folded from its
    literal parts (`os.path.join(os.path.dirname(__file__), '..', 'tests', ...)`), names test
    sources (`test_*.py`, `conftest.py`), expected outputs (`expected_output*`, `test_cases.json`,
    `answers*`), the tests directory, or `.pytest_cache`.

    Why is this bad: a solution that loads the expected answers (or parses the test file for them)
    and returns them passes every test without solving the task, and fails on any new input.

    Example:
        def solve(case):
            with open(os.path.join(os.path.dirname(__file__), "..", "tests", "expected.json")) as f:
                return json.load(f)[case]

    Use instead: compute results from the inputs; test data belongs to the tests.
    """

    id = "SG502"
    name = "oracle-read"
    family = "leaks"
    kind = Kind.GAMING
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    roles = (FileRole.PRODUCT,)
    mentions = re.compile(r"test|expect|answer|truth|oracle|gold|reference", re.I)

    def check_module(self, cf: ChangedFile, ctx: Context, changeset: ChangeSet) -> Iterator[Finding]:
        if any("test" in part for part in cf.path.lower().split("/")):
            return  # test-support packages (`_testing/`, `testutils/`) read test data by design
        ix, names = ctx, ctx.names
        for call in _file_and_shell_calls(ix):
            target = _read_targets(call, names)
            if target is not None:
                path = _path_text(target, names, ix)
                hit = _oracle(path) if path else None
                if hit is not None:
                    sev, what = hit
                    yield self.finding(cf, call, f"reads {what}: {path!r}", severity=sev)
                continue
            for toks in _command(call, names) or ():
                if toks and _basename(toks[0]) in _VIEWERS:
                    hits = [(h, t) for t in toks[1:] if (h := _oracle(t)) is not None]
                    if hits:
                        (sev, what), tok = max(hits, key=lambda x: x[0][0])
                        yield self.finding(cf, call, f"runs {toks[0]} on {what}: {tok!r}", severity=sev)
                        break
