"""SG9xx suppressions: `# specgap: ignore[SG101] reason` comments, and their misuse.

A suppression is honoured only when it was already there before the change (the engine applies
them through `Honoured`). One written by the change under review would let the change clear its own
findings, so it is reported instead of obeyed.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from typing import Iterable, Iterator

from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule

_MARKER = re.compile(r"#\s*specgap\s*:\s*(?P<rest>.*)$")
_IGNORE = re.compile(r"^ignore\s*(?:\[(?P<ids>[^\]]*)\])?(?P<reason>.*)$")
_MARKER_ANYWHERE = re.compile(r"#\s*specgap\s*:")
_ID = re.compile(r"^[A-Z]{2}\d{3}$")


@dataclass(frozen=True)
class Suppression:
    path: str
    line: int
    ids: tuple[str, ...]
    reason: str
    standalone: bool      # a comment alone on its line also covers the line below
    text: str
    problem: str | None   # why it is invalid, or None

    def covers(self, line: int) -> bool:
        return line == self.line or (self.standalone and line == self.line + 1)


def _parse(path: str, line: int, comment: str, standalone: bool) -> Suppression | None:
    m = _MARKER.search(comment)
    if m is None:
        return None
    text = comment[m.start():].strip()
    ig = _IGNORE.match(m.group("rest").strip())
    if ig is None:
        return Suppression(path, line, (), "", standalone, text, "is not `ignore[...]`; write `# specgap: ignore[SG101] reason`")
    ids = tuple(i.strip().upper() for i in (ig.group("ids") or "").split(",") if i.strip())
    # the reason ends at a following comment (`... reason  # noqa`), and needs a word in it
    reason = ig.group("reason").split("#", 1)[0].strip(" \t-:\u2014")
    problem = None
    if not ids:
        problem = "names no rule; write `ignore[SG101]` (blanket suppressions are not allowed)"
    else:
        from specgap.rules import get_rule

        bad = [i for i in ids if not _ID.match(i) or get_rule(i) is None]
        if bad:
            problem = f"names unknown rule id {', '.join(bad)}"
        elif not re.search(r"\w", reason):
            problem = "gives no reason; say why the finding does not apply"
    return Suppression(path, line, ids, reason, standalone, text, problem)


_PROSE = (".md", ".markdown", ".rst", ".txt", ".adoc", ".html", ".htm")


def collect(cf: ChangedFile) -> list[Suppression]:
    """Every suppression comment in the file as the change leaves it.

    Python is tokenized, so a marker inside a string is not a comment; other text files count
    whole-line `#` comments only. A file that does not tokenize to the end keeps what came before.
    """
    if cf.after is None or cf.binary or not _MARKER_ANYWHERE.search(cf.after.text):
        return []  # spares tokenizing (slow, pure Python) the files, nearly all, without a marker
    if cf.path.lower().endswith(_PROSE):
        return []  # documentation shows suppressions as examples; no rule reads prose files
    text = cf.after.text
    out: list[Suppression] = []
    if cf.is_python:
        try:
            for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                if tok.type == tokenize.COMMENT:
                    standalone = tok.line.strip().startswith("#")
                    s = _parse(cf.path, tok.start[0], tok.string, standalone)
                    if s is not None:
                        out.append(s)
        except (tokenize.TokenError, SyntaxError, RecursionError):
            pass  # the parse error is already reported by the input layer
    else:
        for n, line in enumerate(text.split("\n"), 1):
            if line.lstrip().startswith("#"):
                s = _parse(cf.path, n, line.strip(), True)
                if s is not None:
                    out.append(s)
    return out


class Honoured:
    """The suppressions the engine obeys: valid ones on lines the change did not write."""

    def __init__(self, changeset: ChangeSet) -> None:
        self._by_path: dict[str, list[Suppression]] = {}
        for cf in changeset.files:
            ok = [s for s in collect(cf) if s.problem is None and not cf.is_added_line(s.line)]
            if ok:
                self._by_path[cf.path] = ok
        self.used: set[Suppression] = set()

    def match(self, f: Finding) -> bool:
        """Whether a suppression covers `f`; every one that does is recorded as used."""
        hits = [s for s in self._by_path.get(f.path, ()) if f.rule_id in s.ids and s.covers(f.line)]
        self.used.update(hits)
        return bool(hits)


@register
class SuppressionAdded(Rule):
    """A suppression comment written by the change under review.

    What it does: finds `# specgap: ignore[...]` comments on lines the change wrote (in `--files`
    mode, every line counts as written). Such a suppression is not honoured: the findings it names
    are still reported.

    Why is this bad: a change that can switch off the checks judging it is not being judged. An
    agent that meets a finding can add a suppression as easily as it can edit a test; either way the
    measure stops measuring.

    Example:
        def solve(n):
            sys.exit(0)  # specgap: ignore[SG301] needed for the CLI

    Use instead: fix the code the finding points at. If the finding is a false positive, have a
    person add the suppression in a separate, reviewed change; from then on it is honoured.
    """

    id = "SG901"
    name = "suppression-added"
    family = "suppressions"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        for s in collect(cf):
            if cf.is_added_line(s.line):
                names = ", ".join(s.ids) or "no rule"
                yield self.finding(cf, s.line, f"the change adds a suppression of {names}; it is not honoured",
                                   evidence=cf.after.segment(s.line) if cf.after else s.text)


@register
class InvalidSuppression(Rule):
    """A suppression comment that can never apply: no rule id, an unknown id, or no reason.

    What it does: finds `# specgap:` comments that are not of the form
    `# specgap: ignore[SG101, ...] reason` with known rule ids and a reason, in the files the change
    touched, whoever wrote them. (One the change wrote is also reported as SG901.)

    Why is this bad: the suppression looks like it silences a check but does not, so a reviewer
    trusts something that is not there; and a suppression without a reason cannot be reviewed.

    Example:
        value = compute()  # specgap: ignore
        other = compute()  # specgap: ignore[SG401]

    Use instead: name the rule and say why it does not apply:
        value = compute()  # specgap: ignore[SG401] sympy expression, equality is symbolic
    """

    id = "SG902"
    name = "invalid-suppression"
    family = "suppressions"
    kind = Kind.TAMPERING
    severity = Severity.LOW
    confidence = Confidence.HIGH
    scope = "diff"  # an old broken suppression in a changed file is worth knowing about too

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        for s in collect(cf):
            if s.problem:
                yield self.finding(cf, s.line, f"suppression {s.problem}",
                                   evidence=cf.after.segment(s.line) if cf.after else s.text)


@register
class UnusedSuppression(Rule):
    """A suppression that matched no finding.

    What it does: after the other rules have run, reports existing, valid suppressions in the
    changed files that silenced nothing. Only rules that actually ran are judged, and files seen only
    in part (a diff without its repository) or that did not parse are skipped.

    Why is this bad: a stale suppression hides the next real finding on that line, one nobody has
    reviewed.

    Example:
        # specgap: ignore[SG401] the old Money class compared loosely
        def total(items): return sum(items)

    Use instead: delete the suppression.
    """

    id = "SG903"
    name = "unused-suppression"
    family = "suppressions"
    kind = Kind.TAMPERING
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    scope = "diff"

    def check(self, changeset: ChangeSet) -> Iterable[Finding]:
        return ()  # needs the other rules' results: the engine calls `unused` after them

    def unused(self, changeset: ChangeSet, used: set[Suppression], ran: set[str]) -> Iterator[Finding]:
        for cf in changeset.files:
            if cf.after is None or cf.after.partial or cf.after.error:
                continue
            for s in collect(cf):
                if s.problem or cf.is_added_line(s.line) or s in used:
                    continue
                idle = [i for i in s.ids if i in ran]
                if idle:
                    yield self.finding(cf, s.line, f"suppression of {', '.join(idle)} matched no finding",
                                       evidence=cf.after.segment(s.line))
