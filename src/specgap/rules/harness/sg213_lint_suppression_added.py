"""SG213 lint-suppression-added: The change silences a linter, type checker or coverage check."""

from __future__ import annotations

import io
import re
import tokenize
from typing import Iterator

from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule

# (pattern, what it silences, whether it covers the whole file)
_KINDS = (
    (re.compile(r"#\s*type:\s*ignore\b(?!\[)"), "every type error on the line", False),
    (re.compile(r"#\s*type:\s*ignore\["), "type errors on the line", False),
    (re.compile(r"#\s*noqa\b(?!\s*:)", re.I), "every lint error on the line", False),
    (re.compile(r"#\s*noqa\s*:", re.I), "lint errors on the line", False),
    (re.compile(r"#\s*(?:mypy|pyright)\s*:\s*(?:ignore-errors|basic|strict\s*=\s*false)", re.I), "type checking of the whole file", True),
    (re.compile(r"#\s*(?:ruff|flake8)\s*:\s*noqa\b(?!\s*:)", re.I), "linting of the whole file", True),
    (re.compile(r"#\s*pragma:\s*no\s*(?:cover|branch)\b", re.I), "coverage measurement of the block", False),
)
# a reason after the codes: a second comment (`# stub lacks it`) or a dash (`-- see #12`)
_REASON = re.compile(r"#\s*[A-Za-z]{3,}|(?:--|\u2014)\s*\w")


@register
class LintSuppressionAdded(Rule):
    """The change silences a linter, type checker or coverage check.

    What it does: finds suppression comments on lines the change wrote: `# type: ignore`,
    `# noqa`, `# mypy: ignore-errors`, `# ruff: noqa`, `# pragma: no cover`. A suppression
    already there before the change is not reported (only written lines are), nor are the files
    of a directory scanned as a tree (`scan --files DIR`: nothing says what is new), nor is a line
    suppression that names its codes (`# type: ignore[attr-defined]`, `# noqa: E501`): that is
    the form a reviewer can check. Blanket ones (no codes, or a whole file) are reported.

    Low: every project has honest suppressions (a false positive of the checker, a platform
    branch coverage cannot reach). The signal is the pattern: a change that turns the gate green
    by telling the gate to look away. A reviewer should see each one; the severity does not fail
    the default gate on its own.

    Why is this bad: when CI runs mypy, ruff or a coverage threshold, silencing them is as good as
    fixing the errors for the gate, and nothing is fixed.

    Example:
        result = parse(data)  # type: ignore
        def legacy_path():  # pragma: no cover

    Use instead: fix the reported error; if the checker is wrong, suppress the one code and say why.
    """

    id = "SG213"
    name = "lint-suppression-added"
    family = "harness"
    kind = Kind.TAMPERING
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    mentions = re.compile(r"type:|noqa|NOQA|ignore-errors|pragma|pyright")

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is None or not cf.is_python:
            return
        if changeset.tree_scan and cf.added_lines is None and cf.origin is None:
            return  # a file of a walked directory: nothing says the suppression is new
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(cf.after.text).readline))
        except (tokenize.TokenError, SyntaxError, IndentationError):
            return  # unparsable text is reported by the loader; comments cannot be told from strings
        for tok in tokens:
            if tok.type != tokenize.COMMENT or not cf.touches(tok.start[0]):
                continue
            for pattern, what, whole_file in _KINDS:
                m = pattern.search(tok.string)
                if m is None:
                    continue
                specific = "[" in m.group(0) or m.group(0).rstrip().endswith(":")
                if specific and (_REASON.search(tok.string[m.end():]) or not whole_file):
                    break  # names the codes it silences: the reviewable, honest form
                yield self.finding(cf, tok.start[0], f"`{m.group(0).strip()}` silences {what}"
                                   + (" (file-wide)" if whole_file else ""))
                break
