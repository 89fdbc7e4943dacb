"""Two directory trees compared: what the agent added, changed and deleted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from specgap.inputs.changeset import RawFile, build
from specgap.inputs.context import RepoTests
from specgap.inputs.errors import InputFailure
from specgap.inputs.files import wanted
from specgap.inputs.renames import pair_renames
from specgap.inputs.roles import RoleConfig
from specgap.inputs.walk import walk
from specgap.model import ChangeSet, InputError
from specgap.analysis.parse import MAX_BYTES


def _read_tree(root: Path, unread: set[str], errors: list[InputError]) -> dict[str, bytes]:
    """Wanted files of a tree; too large or unreadable ones are reported and added to `unread`."""
    out: dict[str, bytes] = {}
    for rel, entry in walk(root):
        if not wanted(rel, entry, transcripts=False) or not entry.is_file(follow_symlinks=False):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_size > MAX_BYTES:
                errors.append(InputError(rel, f"file is larger than {MAX_BYTES // (1024 * 1024)} MB in {root}; not compared"))
                unread.add(rel)
                continue
            out[rel] = Path(entry.path).read_bytes()
        except OSError as exc:
            errors.append(InputError(rel, f"cannot read in {root}: {exc.strerror or exc}"))
            unread.add(rel)
    return out


@dataclass
class TreeChange:
    """Two trees read and paired, not yet parsed: `raws` are the files that differ, in path order."""

    raws: list[RawFile]
    errors: list[InputError]
    after_root: Path
    after_paths: list[str]
    source: str

    def changeset(self, roles: RoleConfig | None = None) -> ChangeSet:
        cs = build(self.raws, roles=roles, source_desc=self.source, errors=self.errors)
        changed = {cf.path for cf in cs.files} | {cf.old_path for cf in cs.files if cf.old_path}
        cs.context_loader = RepoTests(self.after_root, self.after_paths, changed, roles, cs.errors)
        return cs


def read_trees(before_dir: str | Path, after_dir: str | Path) -> TreeChange:
    """The files that differ from `before_dir` to `after_dir` (paths relative to each tree)."""
    before_root, after_root = Path(before_dir), Path(after_dir)
    for d in (before_root, after_root):
        if not d.is_dir():
            raise InputFailure(f"{d}: no such directory")
    errors: list[InputError] = []
    unread: set[str] = set()
    before = _read_tree(before_root, unread, errors)
    after = _read_tree(after_root, unread, errors)
    deleted = {p: d for p, d in before.items() if p not in after and p not in unread}
    added = {p: d for p, d in after.items() if p not in before and p not in unread}
    renamed = {new: old for old, new in pair_renames(deleted, added)}
    renamed_from = set(renamed.values())
    raws = []
    for rel in sorted((set(before) | set(after)) - unread):
        if rel in renamed_from:
            continue
        if rel in renamed:
            raws.append(RawFile(rel, before[renamed[rel]], after[rel], old_path=renamed[rel]))
        elif before.get(rel) != after.get(rel):
            raws.append(RawFile(rel, before.get(rel), after.get(rel)))
    return TreeChange(raws, errors, after_root, sorted(after), f"trees: {before_dir} -> {after_dir}")


def load_trees(before_dir: str | Path, after_dir: str | Path, roles: RoleConfig | None = None) -> ChangeSet:
    """The change from `before_dir` to `after_dir` (paths relative to each tree)."""
    return read_trees(before_dir, after_dir).changeset(roles)
