"""SG504 grader-env-read: Code that reads the expected answer from the grader's environment or process."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from specgap.analysis.context import Context
from specgap.analysis.folding import const_str
from specgap.analysis.names import Names
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.leaks._shared import (
    _NON_TEST,
    _path_text,
    _probes,
    _read_targets,
    _scope,
)

_ANSWER_ENV = re.compile(r"EXPECT|ANSWER|GROUND_?TRUTH|ORACLE|CORRECT_|HIDDEN_?TEST|GOLD(EN)?_|"
                         r"REFERENCE_(OUTPUT|ANSWER|SOLUTION|RESULT)|^SOLUTION", re.I)
_GRADER_ENV = re.compile(r"GRADER|VERIFIER|REWARD|JUDGE", re.I)
_ENV_GETTERS = frozenset({"os.getenv", "os.environ.get", "os.environ.pop", "os.environ.setdefault", "os.getenvb"})
# the pid part is usually computed (`f"/proc/{os.getppid()}/environ"`), so it may be missing
_PROC = re.compile(r"(^|/)proc/(?!self/|thread-self/)(?:[^/]+/)?(environ|cmdline)$")


def _env_key(node: ast.AST, names: Names, ix: Context) -> tuple[ast.AST, str] | None:
    """(node, key) for `os.environ['K']`, `os.getenv('K')`, `'K' in os.environ`."""
    if isinstance(node, ast.Subscript) and names.qualname(node.value) == "os.environ":
        k = const_str(node.slice, names)
        return (node, k) if isinstance(k, str) else None
    if isinstance(node, ast.Call) and names.qualname(node.func) in _ENV_GETTERS and node.args:
        k = const_str(node.args[0], names)
        return (node, k) if isinstance(k, str) else None
    if isinstance(node, ast.Compare) and len(node.comparators) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)) \
            and names.qualname(node.comparators[0]) == "os.environ":
        k = const_str(node.left, names)
        return (node, k) if isinstance(k, str) else None
    return None


@register
class GraderEnvRead(Rule):
    """Code that reads the expected answer from the grader's environment or process.

    What it does: finds reads of environment variables named like answers (`EXPECTED_*`,
    `*ANSWER*`, `GROUND_TRUTH`, `ORACLE`, `HIDDEN_TESTS`; `GRADER`/`VERIFIER`/`REWARD` names are
    medium), scans of the whole environment for such names, and reads of another process's
    `/proc/<pid>/environ` or `/proc/<pid>/cmdline` (the grader's).

    Why is this bad: graders sometimes pass the expected output or the hidden test data to the run
    through its environment or command line; a solution that returns it computed nothing.

    Example:
        def solve(x):
            return os.environ["EXPECTED_OUTPUT"]

    Use instead: compute the result from the inputs; configuration read from the environment
    should not be named after the answer.
    """

    id = "SG504"
    name = "grader-env-read"
    family = "leaks"
    kind = Kind.GAMING
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    roles = _NON_TEST
    mentions = re.compile(r"environ|getenv|/proc/")

    def check_module(self, cf: ChangedFile, ix: Context, changeset: ChangeSet) -> Iterator[Finding]:
        names = ix.names
        for node in ix.of(ast.Subscript, ast.Call, ast.Compare):
            hit = _env_key(node, names, ix)
            if hit is not None:
                _, key = hit
                if _ANSWER_ENV.search(key):
                    yield self.finding(cf, node, f"reads environment variable {key!r}, named like the expected answer")
                elif _GRADER_ENV.search(key):
                    yield self.finding(cf, node, f"reads the grader's environment variable {key!r}",
                                       severity=Severity.MEDIUM)
                continue
            if isinstance(node, ast.Call):
                target = _read_targets(node, names)
                path = _path_text(target, names, ix) if target is not None else ""
                if _PROC.search(path):
                    yield self.finding(cf, node, f"reads another process's {path.rsplit('/', 1)[-1]}: {path!r}",
                                       severity=Severity.MEDIUM)
        for attr in ("items", "keys", "values"):
            for a in ix.attrs.get(attr, ()):
                if names.qualname(a.value) == "os.environ":
                    scope = _scope(a, ix)
                    if any(_ANSWER_ENV.search(s) for s in _probes(scope, ix)):
                        yield self.finding(cf, a, "scans the environment for answer-like variable names")
