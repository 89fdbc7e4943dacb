"""A git repository's change: a base revision (default HEAD) against the working tree.

The repository is untrusted: its hooks, fsmonitor, pagers, external diff drivers and textconv
or clean filters could all run its author's commands. So git is asked only about objects and
listings (`ls-tree`, `ls-files`, `cat-file`), with hooks and fsmonitor disabled, and the
working tree is read and compared by this module itself, byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

from specgap.inputs.changeset import RawFile, build, gc_paused, printable
from specgap.inputs.context import repo_tests
from specgap.inputs.errors import InputFailure
from specgap.inputs.renames import pair_renames
from specgap.inputs.roles import RoleConfig, classify
from specgap.inputs.walk import is_startup_hook, skipped_dir, under_real_dirs
from specgap.model import ChangedFile, ChangeSet, InputError, Status
from specgap.python.parse import MAX_BYTES

_SAFE = ("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "diff.external=",
         "-c", "core.pager=cat", "--no-pager", "--literal-pathspecs")
# Larger worktree files are compared by hash, not held in memory: they would not be parsed anyway.
_READ_LIMIT = MAX_BYTES
_ENV_DROP = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_EXTERNAL_DIFF", "GIT_PAGER", "PAGER")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _ENV_DROP}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", GIT_PAGER="cat", PAGER="cat", LC_ALL="C")
    return env


def git(repo: Path, *args: str, stdin: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run git safely in `repo`; failures raise InputFailure with git's own first line."""
    try:
        proc = subprocess.run(["git", *_SAFE, "-C", str(repo), *args], input=stdin, capture_output=True,
                              env=_env(), timeout=300)
    except FileNotFoundError:
        raise InputFailure("git is not installed (needed to read a repository)") from None
    except subprocess.TimeoutExpired:
        raise InputFailure(f"git {args[0]} took longer than 300 s in {repo}") from None
    if check and proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputFailure(f"git {args[0]} failed in {repo}: {msg[-1] if msg else f'exit {proc.returncode}'}")
    return proc


def toplevel(repo: str | Path) -> Path:
    path = Path(repo)
    if not path.is_dir():
        raise InputFailure(f"{repo}: no such directory")
    proc = git(path, "rev-parse", "--show-toplevel", check=False)
    if proc.returncode != 0:
        said = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        # git's own reason matters when it is not the obvious one (a bare repo, dubious ownership)
        reason = said[0].removeprefix("fatal: ") if said else ""
        if not reason or reason.startswith("not a git repository"):
            raise InputFailure(f"{repo} is not a git repository")
        raise InputFailure(f"{repo}: {reason}")
    return Path(proc.stdout.decode("utf-8", "surrogateescape").strip())


def _resolve(root: Path, rev: str) -> str | None:
    if rev.startswith("-"):  # never let a revision be read as an option
        raise InputFailure(f"invalid revision {rev!r}")
    proc = git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False)
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def _tree(root: Path, commit: str | None) -> dict[str, str]:
    """path -> object id of every file in `commit` (nothing for no commit)."""
    if commit is None:
        return {}
    out = git(root, "ls-tree", "-r", "-z", "--full-tree", commit).stdout
    entries: dict[str, str] = {}
    for rec in out.split(b"\0"):
        if not rec:
            continue
        meta, _, path = rec.partition(b"\t")
        _mode, kind, oid = meta.decode().split()
        if kind == "blob":  # submodules (commits) are not files of this repository
            entries[path.decode("utf-8", "surrogateescape")] = oid
    return entries


def cat_blobs(root: Path, oids: list[str]) -> dict[str, bytes]:
    """Contents of many blobs in one `git cat-file --batch` call."""
    if not oids:
        return {}
    out = git(root, "cat-file", "--batch", stdin="".join(f"{o}\n" for o in oids).encode()).stdout
    blobs: dict[str, bytes] = {}
    pos = 0
    for oid in oids:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].split()
        pos = nl + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        size = int(header[2])
        blobs[oid] = out[pos : pos + size]
        pos += size + 1
    return blobs


def _blob_id(data: bytes, algo: str) -> str:
    return hashlib.new(algo, b"blob %d\0" % len(data) + data).hexdigest()


def _read_worktree(root: Path, rel: str, algo: str, real_dirs: dict[str, bool]) -> bytes | str | None:
    """Bytes of a worktree file as git would store them (a symlink's target); None if absent;
    for a file too large to hold in memory, its blob id (hashed in chunks).

    A file under a directory that was replaced by a symlink is absent, as git sees it; it is never
    read through the link (which may point anywhere). `real_dirs` caches that check per directory.
    """
    if not under_real_dirs(root, rel, real_dirs):
        return None
    full = root / rel
    try:
        st = os.lstat(full)
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return os.fsencode(os.readlink(full))
    if not stat.S_ISREG(st.st_mode):  # submodule checkouts, sockets, fifos
        return None
    if st.st_size <= _READ_LIMIT:
        return full.read_bytes()
    h = hashlib.new(algo, b"blob %d\0" % st.st_size)
    with open(full, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _listing(root: Path, *which: str) -> list[str]:
    out = git(root, "ls-files", "-z", *which).stdout
    return sorted({p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p})


def worktree_paths(root: Path) -> list[str]:
    """Tracked and untracked-but-not-ignored files (listing only: no content, no filters)."""
    return _listing(root, "--cached", "--others", "--exclude-standard")


def _untracked(root: Path, errors: list[InputError]) -> list[str]:
    """Untracked files, without the contents of environments and caches that nobody ignored:
    of those only the startup hooks count (a planted .pth runs in every process)."""
    paths = _listing(root, "--others", "--exclude-standard")
    envs = {p.rsplit("/", 1)[0] for p in paths if p.endswith("/pyvenv.cfg")}
    kept: list[str] = []
    skipped: dict[str, int] = {}
    for p in paths:
        d = skipped_dir(p, envs)
        if d is None or is_startup_hook(p):
            kept.append(p)
        else:
            skipped[d] = skipped.get(d, 0) + 1
    for d, n in sorted(skipped.items()):
        errors.append(InputError(d + "/", f"untracked environment or cache directory: {n} file(s) not scanned "
                                          "(only startup hooks were checked)"))
    return kept


def _compare_worktree(root: Path, paths: list[str], base_tree: dict[str, str], algo: str, roles: RoleConfig | None,
                      errors: list[InputError]) -> tuple[dict[str, bytes], set[str], list[ChangedFile]]:
    """Worktree files that differ from the base (bytes), base files that are gone, and changed
    files too large to read (as path-only ChangedFiles)."""
    after: dict[str, bytes] = {}
    gone: set[str] = set()
    huge: list[ChangedFile] = []
    real_dirs: dict[str, bool] = {}
    for rel in paths:
        try:
            data = _read_worktree(root, rel, algo, real_dirs)
        except OSError as exc:
            errors.append(InputError(rel, f"cannot read: {exc.strerror or exc}"))
            continue
        if data is None:
            gone.add(rel)
        elif isinstance(data, str):
            if base_tree.get(rel) != data:
                errors.append(InputError(rel, f"file is larger than {_READ_LIMIT // (1024 * 1024)} MB; "
                                              "its path was checked, its content was not"))
                huge.append(ChangedFile(printable(rel, errors), Status.MODIFIED if rel in base_tree else Status.ADDED,
                                        classify(rel, roles), binary=True))
        elif base_tree.get(rel) != _blob_id(data, algo):
            after[rel] = data  # hashing spares a blob read for every unchanged file
    return after, gone, huge


@gc_paused
def load_git(repo: str | Path, base: str | None = None, roles: RoleConfig | None = None) -> ChangeSet:
    """The change from `base` (default HEAD; nothing in a repo without commits) to the working tree,
    committed or not, staged or not, including untracked files that are not ignored."""
    root = toplevel(repo)
    if base is None:
        commit = _resolve(root, "HEAD")
        desc = "git HEAD..worktree" if commit else "git (no commits)..worktree"
    else:
        commit = _resolve(root, base)
        if commit is None:
            raise InputFailure(f"unknown revision {base!r} in {root}")
        desc = f"git {base}..worktree"
    algo = git(root, "rev-parse", "--show-object-format", check=False).stdout.decode().strip() or "sha1"
    errors: list[InputError] = []
    base_tree = _tree(root, commit)
    listed = sorted(set(_listing(root, "--cached")) | set(_untracked(root, errors)))
    after, gone, huge = _compare_worktree(root, sorted(set(listed) | set(base_tree)), base_tree, algo, roles, errors)
    changed_old = [p for p in base_tree if p in after or p in gone]
    blobs = cat_blobs(root, sorted({base_tree[p] for p in changed_old}))
    before_by_path = {p: blobs.get(base_tree[p], b"") for p in changed_old}
    cs = build(_raws(before_by_path, after), roles=roles, source_desc=desc, errors=errors)
    cs.files.extend(huge)
    changed = {cf.path for cf in cs.files} | {cf.old_path for cf in cs.files if cf.old_path}
    cs.context_loader = lambda: repo_tests(root, listed, changed, roles, cs.errors)
    return cs


def _raws(before: dict[str, bytes], after: dict[str, bytes]) -> list[RawFile]:
    """The changed files, with deleted/added pairs of the same content read as renames."""
    deleted = {p: d for p, d in before.items() if p not in after}
    added = {p: d for p, d in after.items() if p not in before}
    renames = {new: old for old, new in pair_renames(deleted, added)}
    renamed_from = set(renames.values())
    raws = []
    for rel in sorted(set(after) | set(deleted)):
        if rel in renamed_from:
            continue
        if rel in renames:
            raws.append(RawFile(rel, deleted[renames[rel]], after[rel], old_path=renames[rel]))
        else:
            raws.append(RawFile(rel, before.get(rel), after.get(rel)))
    return raws


def _index(root: Path) -> dict[str, str]:
    """path -> object id of every file staged in the index (submodules left out)."""
    entries: dict[str, str] = {}
    for rec in git(root, "ls-files", "-s", "-z").stdout.split(b"\0"):
        if not rec:
            continue
        meta, _, path = rec.partition(b"\t")
        mode, oid, _stage = meta.decode().split()
        if mode != "160000":
            # a conflicted path has stages 1-3; the last listed (theirs) stands for it
            entries[path.decode("utf-8", "surrogateescape")] = oid
    return entries


@gc_paused
def load_staged(repo: str | Path, roles: RoleConfig | None = None) -> ChangeSet:
    """The staged change: HEAD against the index, i.e. what `git commit` would record now
    (unstaged edits and untracked files are left out, as a pre-commit hook needs)."""
    root = toplevel(repo)
    commit = _resolve(root, "HEAD")
    base_tree, index = _tree(root, commit), _index(root)
    changed = sorted(p for p in set(base_tree) | set(index) if base_tree.get(p) != index.get(p))
    blobs = cat_blobs(root, sorted({t[p] for t in (base_tree, index) for p in changed if p in t}))
    before = {p: blobs.get(base_tree[p], b"") for p in changed if p in base_tree}
    after = {p: blobs.get(index[p], b"") for p in changed if p in index}
    desc = "git HEAD..index" if commit else "git (no commits)..index"
    cs = build(_raws(before, after), roles=roles, source_desc=desc)
    touched = {cf.path for cf in cs.files} | {cf.old_path for cf in cs.files if cf.old_path}
    cs.context_loader = lambda: repo_tests(root, sorted(index), touched, roles, cs.errors)
    return cs


def read_at(repo: str | Path, rev: str, path: str) -> bytes | None:
    """A file's bytes at revision `rev`, or None when it does not exist there."""
    root = toplevel(repo)
    commit = _resolve(root, rev)
    if commit is None:
        raise InputFailure(f"unknown revision {rev!r} in {root}")
    oid = _tree_entry(root, commit, path)
    if oid is None:
        return None
    return cat_blobs(root, [oid]).get(oid)


def _tree_entry(root: Path, commit: str, path: str) -> str | None:
    out = git(root, "ls-tree", "-z", "--full-tree", commit, "--", path).stdout
    for rec in out.split(b"\0"):
        meta, _, p = rec.partition(b"\t")
        if p.decode("utf-8", "surrogateescape") == path and meta.split()[1:2] == [b"blob"]:
            return meta.split()[2].decode()
    return None

