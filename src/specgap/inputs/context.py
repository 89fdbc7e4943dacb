"""The repository's unchanged test files, for rules that cross-reference them (bounded)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from specgap.inputs.changeset import context_file, gc_paused
from specgap.inputs.roles import RoleConfig, classify
from specgap.inputs.walk import under_real_dirs, walk
from specgap.model import ChangedFile, FileRole, InputError

MAX_FILES = 2000
MAX_BYTES_TOTAL = 20 * 1024 * 1024


@gc_paused
def repo_tests(root: Path, candidates: Iterable[str], exclude: set[str], roles: RoleConfig | None,
               errors: list[InputError]) -> list[ChangedFile]:
    """Parsed test files among `candidates` (repo-relative posix paths), skipping `exclude`."""
    out: list[ChangedFile] = []
    total = 0
    skipped = 0
    real_dirs: dict[str, bool] = {}
    for rel in candidates:
        if rel in exclude or not rel.endswith(".py") or classify(rel, roles) is not FileRole.TEST:
            continue
        if not under_real_dirs(root, rel, real_dirs):
            continue  # a directory replaced by a symlink: not the repository's tests any more
        full = root / rel
        try:
            if not full.is_file() or full.is_symlink():
                continue
            size = full.stat().st_size
            if len(out) >= MAX_FILES or total + size > MAX_BYTES_TOTAL:
                skipped += 1
                continue
            data = full.read_bytes()
        except OSError as exc:
            errors.append(InputError(rel, f"cannot read test file for context: {exc.strerror or exc}"))
            continue
        total += len(data)
        # the repo's own tests: their parse errors are not the change's fault
        cf = context_file(rel, data, [])
        if cf is not None:
            out.append(cf)
    if skipped:
        errors.append(InputError(
            str(root), f"context limited to {MAX_FILES} test files / {MAX_BYTES_TOTAL // (1024 * 1024)} MB: "
            f"{skipped} more unchanged test file(s) were not loaded"))
    return out


def walked(root: Path) -> list[str]:
    """Candidate paths of a directory that is not a git repository."""
    return [rel for rel, e in walk(root) if e.name.endswith(".py")]



# Context loaders: what a `ChangeSet` calls on first use of `context_files()`. They are plain data
# (no closures), so a change set can be pickled and sent to another process with its context.


@dataclass
class Given:
    """Context already in hand (the files a transcript showed the agent)."""

    files: list[ChangedFile] = field(default_factory=list)

    def __call__(self) -> list[ChangedFile]:
        return self.files


@dataclass
class RepoTests:
    """The repository's unchanged tests under `root`, read on first use (most scans never need
    them). `candidates` are repo-relative paths, or a function listing them (also deferred)."""

    root: Path
    candidates: Iterable[str] | Callable[[Path], list[str]]
    exclude: set[str]
    roles: RoleConfig | None
    errors: list[InputError]  # the change set's own list: unreadable tests are reported there

    def __call__(self) -> list[ChangedFile]:
        listed = self.candidates(self.root) if callable(self.candidates) else self.candidates
        return repo_tests(self.root, listed, self.exclude, self.roles, self.errors)
