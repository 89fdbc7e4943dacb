"""The normalized model every stage shares: findings, and the change they are found in.

Inputs (git, diffs, files, transcripts, logs) produce a `ChangeSet`; rules read it and yield
`Finding`s; the engine and the reports only ever see findings. Nothing here imports another
specgap module, so any stage may import this one.
"""

from __future__ import annotations

import ast
import enum
import functools
import re
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping


class _Ordered(str, enum.Enum):
    """A string enum whose members compare by declaration order (low < high)."""

    def _rank(self) -> int:
        return list(type(self)).index(self)

    def __lt__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._rank() < other._rank()

    def __le__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._rank() <= other._rank()

    def __gt__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._rank() > other._rank()

    def __ge__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._rank() >= other._rank()

    def __str__(self) -> str:
        return self.value


class Severity(_Ordered):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Confidence(_Ordered):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Kind(str, enum.Enum):
    """`tampering`: the measuring apparatus was altered. `gaming`: the task was dodged within the rules."""

    TAMPERING = "tampering"
    GAMING = "gaming"

    def __str__(self) -> str:
        return self.value


class FileRole(str, enum.Enum):
    TEST = "test"            # test code: test_*.py, *_test.py, tests/ ...
    HARNESS = "harness"      # what runs the tests: conftest.py, pytest.ini, tox.ini, CI workflows ...
    PROTECTED = "protected"  # configured protected paths: graders, eval sets, specgap's own config
    PRODUCT = "product"      # everything else: the code the task asked for

    def __str__(self) -> str:
        return self.value


class Status(str, enum.Enum):
    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"
    RENAMED = "renamed"
    UNCHANGED = "unchanged"  # context only: e.g. the repo's tests, or the tests shown in a prompt

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Finding:
    """One reason to believe the measure was gamed, with the evidence for a person to check."""

    rule_id: str
    name: str
    kind: Kind
    severity: Severity
    confidence: Confidence
    path: str
    line: int
    end_line: int
    message: str
    evidence: str = ""
    before: str | None = None      # for edits: the old text (e.g. the assertion that was removed)
    after: str | None = None       # for edits: the new text
    fingerprint: str = ""          # line-free; filled in by the engine
    stats: Mapping[str, Any] | None = None  # monitor checks: effect, interval / p-value, n
    group: str | None = None       # monitor checks run per group
    # transcripts: where in which rollout, so a person can jump to it
    rollout_id: str | None = None
    turn: int | None = None
    call_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "rule_id": self.rule_id,
            "name": self.name,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "confidence": self.confidence.value,
            "path": self.path,
            "line": self.line,
            "end_line": self.end_line,
            "message": self.message,
            "evidence": self.evidence,
            "fingerprint": self.fingerprint,
        }
        if self.before is not None:
            d["before"] = self.before
        if self.after is not None:
            d["after"] = self.after
        if self.stats is not None:
            d["stats"] = dict(self.stats)
        if self.group is not None:
            d["group"] = self.group
        for key in ("rollout_id", "turn", "call_id"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        return d


@dataclass(frozen=True)
class InputError:
    """Input that could not be read as asked (binary, bad encoding, syntax error, bad diff ...).

    Reported next to the findings; never raised past the engine, so the rest of a scan completes.
    """

    path: str
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"path": self.path, "message": self.message}
        if self.line is not None:
            d["line"] = self.line
        return d


_DEF_HEADER = re.compile(r"\s*(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(")


@dataclass
class SourceFile:
    """One version (before or after) of a file: its text and, for Python, its parsed tree.

    `tree` is None when the file is not Python or did not parse; `error` then says why (for Python).
    For a diff read without its repository, `text` holds only the hunks' lines at their true line
    numbers (other lines blank), and `tree` is built from whichever fragments parse.
    """

    text: str
    tree: ast.Module | None = None
    error: str | None = None
    partial: bool = False
    # partial files: (first line, header) of each hunk; the header is the context line a diff
    # prints after `@@ ... @@`, usually the `def` that encloses the hunk
    hunk_headers: tuple[tuple[int, str], ...] = ()
    # what cross-file rules noted about the file while its tree was at hand, by rule id (a tree
    # scan lets each tree go after its file's rules: see `Rule.keeps`)
    notes: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    reparsable: ClassVar[bool] = False  # whether `unload` lets go of the tree (parsed again when asked for)

    @property
    def parsed(self) -> ast.Module | None:
        """The tree if it is at hand now (never parses)."""
        return self.tree

    def unload(self) -> None:
        """Let go of the tree, if it can be parsed again when asked for (`reparsable`)."""

    def function_outside(self, line: int) -> str | None:
        """The function a partial file's `line` sits in, named by its hunk's header, if it says."""
        header = next((h for start, h in reversed(self.hunk_headers) if start <= line), "")
        m = _DEF_HEADER.match(header)
        return m.group(1) if m else None

    @functools.cached_property
    def lines(self) -> list[str]:
        """The text's lines (split once: rules and evidence ask again and again)."""
        return self.text.splitlines()

    def segment(self, line: int, end_line: int | None = None) -> str:
        """Source lines `line`..`end_line` (1-based, inclusive), for evidence."""
        ls = self.lines
        end = end_line if end_line is not None else line
        return "\n".join(ls[max(line - 1, 0) : max(end, line)])


@dataclass
class ChangedFile:
    """A file touched by the change, in the repo's posix-relative path."""

    path: str
    status: Status
    role: FileRole
    before: SourceFile | None = None   # None when added, or when the old text is unknown
    after: SourceFile | None = None    # None when deleted
    old_path: str | None = None        # for renames
    added_lines: frozenset[int] | None = None  # lines of `after` the change wrote; None = all of them
    binary: bool = False
    origin: str | None = None          # where it came from, e.g. the transcript it was extracted from

    @property
    def is_python(self) -> bool:
        return self.path.endswith((".py", ".pyi")) or (
            self.after is not None and self.after.text.startswith("#!") and "python" in self.after.text.split("\n", 1)[0]
        )

    def is_added_line(self, line: int) -> bool:
        return self.added_lines is None or line in self.added_lines

    def touches(self, line: int, end_line: int | None = None) -> bool:
        """Whether the change wrote any line in `line`..`end_line` (all lines count for new files)."""
        if self.added_lines is None:
            return True
        end = end_line if end_line is not None else line
        return any(n in self.added_lines for n in range(line, end + 1))


@dataclass
class ChangeSet:
    """Everything a rule may look at: the changed files with their roles, and read errors."""

    files: list[ChangedFile] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    source: str = ""   # human description: "git HEAD..worktree", "diff: x.patch", "files: ..."
    # a directory was walked (`scan --files DIR`): its files are a tree as it stands, not lines a
    # change wrote, so rules about what a change *added* have nothing to go on for them
    tree_scan: bool = False
    # Unchanged files rules may cross-reference (the repo's test files, a prompt's test cases).
    # Loaded on first use by `context_files()`, since most rules never need them.
    context_loader: Callable[[], list[ChangedFile]] | None = None
    _context: list[ChangedFile] | None = field(default=None, repr=False)

    def context_files(self) -> list[ChangedFile]:
        if self._context is None:
            self._context = self.context_loader() if self.context_loader else []
        return self._context

    def by_role(self, *roles: FileRole) -> list[ChangedFile]:
        return [f for f in self.files if f.role in roles]

    def get(self, path: str) -> ChangedFile | None:
        for f in self.files:
            if f.path == path:
                return f
        return None
