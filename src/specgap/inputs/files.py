"""Files and directory trees taken as written by the agent: every file added, every line new.

Transcripts among them (named explicitly, or recognised while walking) are opened and the
files the agent wrote inside them are scanned instead; see transcripts.py.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from specgap.inputs.changeset import RawFile, changed_file, gc_paused, printable
from specgap.inputs.context import Given
from specgap.inputs.errors import InputFailure
from specgap.inputs.roles import RoleConfig, classify
from specgap.inputs.transcripts.code import Extracted, extract
from specgap.inputs.walk import TRANSCRIPT_SUFFIXES, TREE_EXCLUDES, has_python_shebang, is_code_or_harness, walk
from specgap.model import ChangedFile, ChangeSet, InputError, Status
from specgap.analysis.parse import MAX_BYTES

BYTECODE_SUFFIXES = (".pyc", ".pyo")
TEXT_SUFFIXES = (".txt", ".log")
# An explicitly named transcript (e.g. a JSONL of many rollouts) may be larger than a source file.
MAX_TRANSCRIPT_BYTES = 256 * 1024 * 1024


def wanted(rel: str, entry: os.DirEntry[str], *, transcripts: bool = True) -> bool:
    """Whether a walked file is read: code, harness files, transcripts, Python scripts."""
    if is_code_or_harness(rel) or (transcripts and rel.endswith(TRANSCRIPT_SUFFIXES)):
        return True
    return "." not in entry.name and entry.is_file(follow_symlinks=False) and has_python_shebang(entry.path)


def _placeholder(path: str, message: str, roles: RoleConfig | None, errors: list[InputError]) -> ChangedFile:
    """A file whose content was not read: its path still counts (a planted conftest.py, a .pyc)."""
    errors.append(InputError(path, message))
    return ChangedFile(path=path, status=Status.ADDED, role=classify(path, roles), binary=True)


class _Collector:
    def __init__(self, roles: RoleConfig | None, on_demand: bool = False) -> None:
        self.roles = roles
        self.on_demand = on_demand
        self.files: list[ChangedFile] = []
        self.context: list[ChangedFile] = []
        self.errors: list[InputError] = []

    def add(self, raw: RawFile, *, on_demand: bool = False) -> None:
        cf = changed_file(raw, self.errors, self.roles, on_demand=on_demand)
        if cf is not None:
            self.files.append(cf)

    def add_transcript(self, ex: Extracted) -> None:
        self.errors.extend(ex.errors)
        for raw in ex.files:
            self.add(raw)
        self.context.extend(ex.context)

    def read(self, full: Path, label: str, *, explicit: bool) -> None:
        """Read one file (already known to be wanted) under the name `label`."""
        label = printable(label, self.errors)
        try:
            st = os.lstat(full)
        except OSError as exc:
            self.errors.append(InputError(label, f"cannot read: {exc.strerror or exc}"))
            return
        if stat.S_ISLNK(st.st_mode):
            self.files.append(_placeholder(label, f"symbolic link to {os.readlink(full)!r}; not followed", self.roles, self.errors))
            return
        if not stat.S_ISREG(st.st_mode):
            self.errors.append(InputError(label, "not a regular file; skipped"))
            return
        if label.endswith(BYTECODE_SUFFIXES):
            # bytecode matters by where it sits (a planted test cache), not by what it says
            self.files.append(ChangedFile(path=label, status=Status.ADDED, role=classify(label, self.roles), binary=True))
            return
        is_transcript = label.endswith(TRANSCRIPT_SUFFIXES)
        limit = MAX_TRANSCRIPT_BYTES if is_transcript and explicit else MAX_BYTES
        if st.st_size > limit:
            too_big = f"file is larger than {limit // (1024 * 1024)} MB; not read"
            if is_transcript and not explicit:  # most likely data, not code: no file to show for it
                self.errors.append(InputError(label, too_big + " (not checked for a transcript)"))
            else:
                self.files.append(_placeholder(label, too_big, self.roles, self.errors))
            return
        try:
            data = full.read_bytes()
        except OSError as exc:
            self.errors.append(InputError(label, f"cannot read: {exc.strerror or exc}"))
            return
        if is_transcript:
            ex = extract(label, data, explicit=explicit)
            if ex is not None:
                self.add_transcript(ex)
                return
            if not explicit:
                # docs and data, not an agent's work; but code in them is said to be left unread
                if label.endswith((".md", ".markdown")) and (b"```" in data or b"~~~" in data):
                    self.errors.append(InputError(label, "skipped: Markdown with fenced code but no transcript "
                                                         "headings; name it on its own to scan its code blocks"))
                return
            self.errors.append(InputError(label, "not a recognisable transcript; scanned as a plain file"))
        elif explicit and label.endswith(TEXT_SUFFIXES):
            # a transcript saved as plain text: taken as one only if it holds the agent's code
            ex = extract(label, data, explicit=False)
            if ex is not None and ex.files:
                self.add_transcript(ex)
                return
        self.add(RawFile(label, None, data), on_demand=self.on_demand)


@dataclass(frozen=True)
class Entry:
    """One file to read: where it is, the name it is scanned under, and whether it was named
    explicitly (rather than found by walking a directory). `full=None`: a path that does not exist."""

    full: str | None
    label: str
    explicit: bool


def entries(paths: list, exclude: tuple[str, ...] = ()) -> list[Entry]:
    """What `load_files` reads for `paths`, in order; directories are walked (sorted), leaving out
    `TREE_EXCLUDES` and the `exclude` globs. A file named explicitly is always read.

    Paths are relative to a given directory (posix), or the file name for a single file.
    """
    skip = TREE_EXCLUDES + tuple(exclude)
    out: list[Entry] = []
    found = 0
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found += 1
            out.extend(Entry(entry.path, rel, False) for rel, entry in walk(path, skip) if wanted(rel, entry))
        elif path.exists() or path.is_symlink():
            found += 1
            out.append(Entry(str(path), path.name, True))
        else:
            out.append(Entry(None, str(p), True))
    if paths and not found:
        raise InputFailure(f"no such file or directory: {', '.join(str(p) for p in paths)}")
    return out


@gc_paused
def load_entries(items: list[Entry], roles: RoleConfig | None = None, source: str = "", *,
                 on_demand: bool = False) -> ChangeSet:
    """Read `items` (from `entries`) as written by the agent: status ADDED, all lines added.

    `on_demand`: the files' Python is parsed when a rule first reads it, not here (see
    `changeset.OnDemand`): parse failures are then reported during evaluation, after the errors
    of reading."""
    col = _Collector(roles, on_demand)
    for e in items:
        if e.full is None:
            col.errors.append(InputError(e.label, "no such file or directory"))
        else:
            col.read(Path(e.full), e.label, explicit=e.explicit)
    return ChangeSet(files=col.files, errors=col.errors, source=source, context_loader=Given(col.context),
                     tree_scan=any(not e.explicit for e in items))


def load_files(paths: list, roles: RoleConfig | None = None, exclude: tuple[str, ...] = ()) -> ChangeSet:
    """The given files and directories, as written by the agent (status ADDED, all lines added)."""
    return load_entries(entries(paths, exclude), roles, "files: " + ", ".join(str(p) for p in paths))
