"""Turn raw before/after file contents, from any input, into the normalized `ChangeSet`.

Every input (git, two trees, files, transcripts) ends here, so decoding, parsing, role
classification and "which lines did the change write" are decided once, the same way.
"""

from __future__ import annotations

import ast
import difflib
import functools
import gc
from dataclasses import dataclass
from typing import Any, Callable, ParamSpec, TypeVar

from specgap.inputs.fragments import parse_fragments
from specgap.inputs.roles import RoleConfig, classify
from specgap.model import ChangedFile, ChangeSet, FileRole, InputError, SourceFile, Status
from specgap.analysis.parse import MAX_BYTES, parse

P = ParamSpec("P")
T = TypeVar("T")


def gc_paused(fn: Callable[P, T]) -> Callable[P, T]:
    """Run `fn` (a loader) with the cycle collector paused, and only while it loads.

    A loader parses up to thousands of files and keeps their trees; the collector would walk all
    of those nodes again at every full pass: on numpy's 487 files, loading took 10.6 s of CPU with
    the collector on and 2.0 s paused. Fresh ASTs hold no reference cycles, so there is nothing for
    it to find. Rules run with it on: pausing them too saved nothing measurable (4.3 s either way).
    """
    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return run


@dataclass
class RawFile:
    """One file as an input found it: bytes (or text) before and after; None = absent."""

    path: str
    before: bytes | str | None
    after: bytes | str | None
    old_path: str | None = None
    origin: str | None = None
    # Set by inputs that know exactly which lines the change wrote (a diff's `+` lines);
    # otherwise they are computed by comparing before and after.
    added_lines: frozenset[int] | None = None
    # For a diff read without its repository: the line numbers of before and after that its hunks
    # show; the texts hold only these lines, at their true numbers (other lines blank).
    hunk_lines: tuple[frozenset[int], frozenset[int]] | None = None
    # ... and the (first line, `@@ ... @@` header) of each hunk, for the before and the after side
    hunk_headers: tuple[tuple[tuple[int, str], ...], tuple[tuple[int, str], ...]] = ((), ())


def decode(data: bytes | str, path: str, errors: list[InputError]) -> str | None:
    """Text of a file, or None for binary; invalid UTF-8 is decoded with replacement and reported."""
    if isinstance(data, str):
        text = data
    else:
        if b"\x00" in data[:8192]:
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(InputError(path, f"invalid UTF-8 at byte {exc.start}; decoded with replacement characters"))
            text = data.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    # CRLF / CR: normalize so line numbers and snippets are the same on every platform
    return text.replace("\r\n", "\n").replace("\r", "\n")


def is_python_path(path: str) -> bool:
    return path.endswith((".py", ".pyi"))


def source(text: str, path: str, errors: list[InputError], *, partial: bool = False, label: str = "",
           on_demand: bool = False) -> SourceFile:
    """A SourceFile; Python is parsed and parse failures are reported (with which version failed).

    `on_demand`: a whole Python file is parsed when first asked for, and may be let go of and
    parsed again (`OnDemand`); its parse failure is reported to `errors` then.
    """
    python = is_python_path(path) or (text.startswith("#!") and "python" in text.split("\n", 1)[0])
    if python and on_demand and not partial:
        return OnDemand(text, path, errors)
    sf = SourceFile(text=text, partial=partial)
    if python:
        sf.tree, sf.error, sf.partial = _parsed(text, path, partial)
        if sf.error:
            errors.append(InputError(path, f"{label}{sf.error}" if label else sf.error))
    elif len(text) > MAX_BYTES:
        errors.append(InputError(path, "file is larger than 5 MB; only its presence was checked"))
    return sf


def _parsed(text: str, path: str, partial: bool) -> tuple[ast.Module | None, str | None, bool]:
    """(tree, error, partial) of a Python text."""
    tree, error = parse(text, path)
    if error and not partial and error.startswith("syntax error") and text.count("\n") < _RECOVER_MAX_LINES:
        # Agents' code often has a broken line next to the hack; rules still see what parses.
        lines = text.split("\n")
        recovered, dropped = parse_fragments({n: t for n, t in enumerate(lines, 1)})
        if recovered.body:
            tree, partial = recovered, True
            error += (f"; rules saw the rest of the file (left out: line(s) {_ranges(dropped)})" if dropped
                      else "; rules saw the file with its open brackets closed")
    return tree, error, partial


class OnDemand(SourceFile):
    """A whole Python file, parsed when its tree (or `error`, `partial`) is first asked for.

    A tree scan parses each file, runs its rules and lets its tree go (`unload`) before the next:
    holding every tree of a large tree until the end cost memory, and about a second of CPU to
    free them all at once, cold, on pandas and numpy. A tree asked for again is parsed again. The
    parse failure is reported to `errors` at the first parse, once; the engine parses the files in
    their order, so the failures are reported in that order.
    """

    reparsable = True

    def __init__(self, text: str, path: str, errors: list[InputError]) -> None:
        # (not the dataclass's __init__: it would set the tree, which is not known yet)
        self.text, self.hunk_headers, self.notes = text, (), {}
        self._path, self._errors = path, errors
        self._tree: ast.Module | None = None
        self._error: str | None = None
        self._partial = False
        self._have_tree = self._known = False

    def learn(self, error: str | None, partial: bool) -> None:
        """Take how the file parsed from a parse made elsewhere (a worker's), reported there: if
        it is parsed here later, its failure is not reported again."""
        self._error, self._partial, self._known = error, partial, True
        if error is not None and not partial:  # it did not parse at all: nothing to parse again
            self._tree, self._have_tree = None, True

    def _parse(self) -> None:
        self._tree, self._error, self._partial = _parsed(self.text, self._path, False)
        if not self._known and self._error:
            self._errors.append(InputError(self._path, self._error))
        self._have_tree = self._known = True

    @property  # type: ignore[override]
    def tree(self) -> ast.Module | None:
        if not self._have_tree:
            self._parse()
        return self._tree

    @property  # type: ignore[override]
    def error(self) -> str | None:
        if not self._known:
            self._parse()
        return self._error

    @property  # type: ignore[override]
    def partial(self) -> bool:
        if not self._known:
            self._parse()
        return self._partial

    @property
    def parsed(self) -> ast.Module | None:
        return self._tree if self._have_tree else None

    def unload(self) -> None:
        self._tree, self._have_tree = None, False


# Recovering a file that does not parse costs repeated parses of it: only for files of modest size.
_RECOVER_MAX_LINES = 3000


def partial_source(text: str, path: str, errors: list[InputError], known: frozenset[int], *,
                   report: frozenset[int] | None = None) -> SourceFile:
    """A SourceFile of a diff's hunk lines (`known`) only: parsed whole if possible, else fragment
    by fragment. Dropped lines among `report` (the lines the change wrote) are reported in `errors`.
    """
    sf = source(text, path, [], partial=True)
    if sf.tree is None and sf.error and is_python_path(path) and not sf.error.startswith(("file is larger", "source contains NUL")):
        text_lines = text.split("\n")
        sf.tree, dropped = parse_fragments({n: text_lines[n - 1] for n in known if n <= len(text_lines)})
        lost = [n for n in dropped if report is None or n in report]
        sf.error = f"partial file: {len(dropped)} line(s) of the hunks could not be parsed" if dropped else None
        if lost:
            errors.append(InputError(path, f"hunk lines {_ranges(lost)} could not be parsed; rules did not see them", lost[0]))
    elif sf.error:
        errors.append(InputError(path, sf.error))
    return sf


def _ranges(ns: list[int]) -> str:
    """`[3, 4, 5, 9]` -> `"3-5, 9"`."""
    spans: list[list[int]] = []
    for n in ns:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def added_lines(before: str, after: str) -> frozenset[int]:
    """1-based line numbers of `after` that are not carried over unchanged from `before`."""
    # the empty string after a final newline is not a line; counting it would shift matches
    a, b = (t[:-1].split("\n") if t.endswith("\n") else t.split("\n") for t in (before, after))
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    out: set[int] = set()
    for tag, _i1, _i2, j1, j2 in sm.get_opcodes():
        if tag in ("replace", "insert"):
            out.update(range(j1 + 1, j2 + 1))
    return frozenset(out)


def printable(path: str, errors: list[InputError]) -> str:
    """A file name that can be shown: bytes that are not UTF-8 (kept as surrogates when a name was
    read from disk or git) become U+FFFD, and the name is reported."""
    if not any("\udc80" <= ch <= "\udcff" for ch in path):
        return path
    shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    errors.append(InputError(shown, "file name is not valid UTF-8; shown with replacement characters"))
    return shown


def changed_file(raw: RawFile, errors: list[InputError], roles: RoleConfig | None = None, *,
                 on_demand: bool = False) -> ChangedFile | None:
    """Normalize one raw file; None when nothing changed. `on_demand`: as for `source`."""
    if raw.before is None and raw.after is None:
        return None
    path = printable(raw.path, errors)
    status = (
        Status.ADDED if raw.before is None
        else Status.DELETED if raw.after is None
        else Status.RENAMED if raw.old_path and raw.old_path != path
        else Status.MODIFIED
    )
    # "transcript.md::tests/test_x.py": the role comes from the path inside the container
    role = classify(path.rsplit("::", 1)[-1], roles)
    old_path = printable(raw.old_path, errors) if raw.old_path else raw.old_path
    cf = ChangedFile(path=path, status=status, role=role, old_path=old_path, origin=raw.origin)
    before_text = decode(raw.before, path, errors) if raw.before is not None else None
    after_text = decode(raw.after, path, errors) if raw.after is not None else None
    if (raw.before is not None and before_text is None) or (raw.after is not None and after_text is None):
        cf.binary = True
        errors.append(InputError(path, "binary file: its path was checked, its content was not"))
        return cf
    if before_text is not None and after_text is not None and before_text == after_text and status is Status.MODIFIED:
        return None
    if raw.hunk_lines is not None:
        if before_text is not None:
            cf.before = partial_source(before_text, path, [], raw.hunk_lines[0])
            cf.before.hunk_headers = raw.hunk_headers[0]
        if after_text is not None:
            cf.after = partial_source(after_text, path, errors, raw.hunk_lines[1], report=raw.added_lines)
            cf.after.hunk_headers = raw.hunk_headers[1]
        cf.added_lines = raw.added_lines
        return cf
    if before_text is not None:
        # the old version's parse errors are not the change's fault: keep them out of `errors`
        cf.before = source(before_text, path, [])
    if after_text is not None:
        cf.after = source(after_text, path, errors, on_demand=on_demand and before_text is None)
        if raw.added_lines is not None:
            cf.added_lines = raw.added_lines
        elif before_text is not None:
            cf.added_lines = added_lines(before_text, after_text)
    return cf


def context_file(path: str, data: bytes | str, errors: list[InputError], *, role: FileRole = FileRole.TEST,
                 origin: str | None = None) -> ChangedFile | None:
    """An unchanged file rules may cross-reference (a repo's tests, a prompt's test cases)."""
    cf = changed_file(RawFile(path, None, data, origin=origin), errors)
    if cf is not None:
        cf.status, cf.role = Status.UNCHANGED, role
    return cf


@gc_paused
def build(raws: list[RawFile], *, roles: RoleConfig | None = None, source_desc: str = "",
          errors: list[InputError] | None = None, on_demand: bool = False) -> ChangeSet:
    """The change set of `raws`; `on_demand`: new files' Python is parsed when first read (`OnDemand`)."""
    errs = list(errors or [])
    files = []
    for raw in raws:
        cf = changed_file(raw, errs, roles, on_demand=on_demand)
        if cf is not None:
            files.append(cf)
    return ChangeSet(files=files, errors=errs, source=source_desc)
