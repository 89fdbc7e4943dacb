"""SG213 lint-suppression-added: The change silences a linter, type checker or coverage check."""

from __future__ import annotations

import ast
import math
import re
from collections import defaultdict
from typing import Iterator

from specgap.analysis.context import Context, context

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
# a line worth a closer look: a comment that may be one of the above
_CANDIDATE = re.compile(r"#\s*(?:type\s*:|noqa|mypy\s*:|pyright\s*:|ruff\s*:|flake8\s*:|pragma\s*:)", re.I)
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
    mentions = _CANDIDATE

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is None or not cf.is_python or cf.after.tree is None:
            return  # unparsable text is reported by the loader; comments cannot be told from strings
        if changeset.tree_scan and cf.added_lines is None and cf.origin is None:
            return  # a file of a walked directory: nothing says the suppression is new
        strings: _Strings | None = None
        for n, line in enumerate(cf.after.text.split("\n"), 1):
            if "#" not in line or not cf.touches(n) or not _CANDIDATE.search(line):
                continue
            strings = strings or _Strings(context(cf.after.tree))
            comment = strings.comment(n, line)
            if comment is not None:
                yield from self._judge(cf, n, comment)

    def _judge(self, cf: ChangedFile, line: int, comment: str) -> Iterator[Finding]:
        for pattern, what, whole_file in _KINDS:
            m = pattern.search(comment)
            if m is None:
                continue
            specific = "[" in m.group(0) or m.group(0).rstrip().endswith(":")
            if specific and (_REASON.search(comment[m.end():]) or not whole_file):
                return  # names the codes it silences: the reviewable, honest form
            yield self.finding(cf, line, f"`{m.group(0).strip()}` silences {what}" + (" (file-wide)" if whole_file else ""))
            return


class _Strings:
    """Where a file's string literals lie, to tell a `#` that starts a comment from one in a string
    (the parsed tree knows; tokenizing every file again to learn it cost more than all the rules)."""

    def __init__(self, ctx: Context) -> None:
        self.on_line: defaultdict[int, list[tuple[int, float]]] = defaultdict(list)
        for node in ctx.of(ast.Constant, ast.JoinedStr):
            if isinstance(node, ast.Constant) and not isinstance(node.value, (str, bytes)):
                continue
            first, last = node.lineno, node.end_lineno or node.lineno
            for n in range(first, last + 1):  # (byte columns, as the tree gives them)
                self.on_line[n].append((node.col_offset if n == first else 0,
                                        (node.end_col_offset or 0) if n == last else math.inf))

    def comment(self, n: int, line: str) -> str | None:
        """The comment on line `n` (from its first `#` outside any string), if it has one."""
        raw = line.encode("utf-8", "surrogatepass")
        spans = self.on_line.get(n, ())
        at = raw.find(b"#")
        while at != -1:
            if not any(a <= at < b for a, b in spans):
                return raw[at:].decode("utf-8", "surrogatepass")
            at = raw.find(b"#", at + 1)
        return None
