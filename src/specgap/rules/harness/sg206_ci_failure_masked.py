"""SG206 ci-failure-masked: A CI job, tox env, Makefile target or nox session was changed so that failing tests pass."""

from __future__ import annotations

import re
from typing import Iterator

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
from specgap.rules._line_map import new_line_for
from specgap.rules.base import Rule
from specgap.rules.harness import _test_commands as tc

_MASK = re.compile(r"\|\|\s*(true|:|exit\s+0|echo\b)|;\s*(true|exit\s+0)\s*$|\|\|\s*exit\s*$")
_ECHOED = re.compile(r"^\s*(echo|printf|true|:)\b")


@register
class CiFailureMasked(Rule):
    """A CI job, tox env, Makefile target or nox session was changed so that failing tests pass.

    What it does: on the test commands of CI workflows (GitHub, GitLab, others in YAML), tox,
    Makefiles, noxfiles and CI scripts, finds `|| true`, `|| exit 0`, `; exit 0`, a leading `-`
    (tox, make), nox `success_codes` other than 0, `set +e` ahead of tests, `continue-on-error` /
    `allow_failure` / tox `ignore_outcome` on jobs that run tests, a test command replaced by
    `echo`, and test commands removed from a file that had them.

    Why is this bad: the CI status is what reviewers and graders read; a test command whose failure
    is ignored reports green whatever the tests say.

    Example:
        - run: pytest -q || true

    Use instead: let the test command fail the job; mark known failures in the tests themselves.
    """

    id = "SG206"
    name = "ci-failure-masked"
    family = "harness"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    roles = (FileRole.HARNESS, FileRole.PROTECTED)
    scope = "diff"

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        after = tc.commands(cf.path, cf.after)
        if after is None:
            return
        before = tc.commands(cf.path, cf.before) if cf.before is not None else None
        old_tests = [c for c in before.cmds if tc.TEST_CMD.search(c.text)] if before else []
        old_fail_ok = {v for _l, v in before.fail_ok} if before else set()
        set_e_off: dict[int, tc.Cmd] = {}  # block -> an added `set +e` in it
        for c in after.cmds:
            added = cf.is_added_line(c.line)
            if re.match(r"^set\s+\+e\b", c.text):
                if added:
                    set_e_off[c.block] = c
                continue
            if not tc.TEST_CMD.search(c.text):
                continue
            if c.block in set_e_off:
                off = set_e_off.pop(c.block)
                yield self.finding(cf, off.line, "`set +e` ahead of the test command lets the step continue past failures",
                                   severity=Severity.MEDIUM, confidence=Confidence.MEDIUM, after=c.text)
            if not added:
                continue
            if _ECHOED.match(c.text) and old_tests:
                yield self.finding(cf, c.line, "the test command is only echoed, not run", after=c.text)
            elif _MASK.search(c.text):
                yield self.finding(cf, c.line, "the test command's failure is ignored", after=c.text)
            elif c.ignore_rc:
                yield self.finding(cf, c.line, "the test command's exit code is ignored", after=c.text)
        for line, value in after.fail_ok:
            if cf.is_added_line(line) and value not in old_fail_ok:
                expr = "${{" in value or "$" in value
                yield self.finding(cf, line, f"`{value}` lets a job that runs tests pass when they fail",
                                   severity=Severity.LOW if expr else Severity.MEDIUM, confidence=Confidence.MEDIUM)
        new_tests = [c for c in after.cmds if tc.TEST_CMD.search(c.text) and not _ECHOED.match(c.text)]
        if old_tests and not new_tests and cf.after is not None and cf.before is not None and not cf.after.partial:
            first = old_tests[0]
            yield self.finding(cf, new_line_for(cf.before.text, cf.after.text, first.line),
                               f"all test commands were removed (e.g. `{first.text}`)",
                               severity=Severity.MEDIUM, confidence=Confidence.MEDIUM, before=first.text)
