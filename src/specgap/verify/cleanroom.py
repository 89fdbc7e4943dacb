"""Build the clean room: the agent's product code next to the trusted tests, and nothing else.

Test paths, conftests and runner config come from the base revision (or from test paths outside
the repo); the working tree only contributes product code. Files that can run code before or
around the tests without being imported by them (`.pth`, `sitecustomize`, bytecode caches,
package metadata with entry points) are never copied from the working tree.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import shutil
from dataclasses import dataclass, field
from pathlib import Path

# Runner config is always the base revision's version; startup hooks are never copied.
from specgap.inputs.roles import PYTEST_FILE_PATTERNS as TEST_FILE_PATTERNS
from specgap.inputs.roles import RUNNER_CONFIG_NAMES as RUNNER_CONFIG
from specgap.inputs.roles import STARTUP_HOOK_NAMES as _STARTUP_NAMES
from specgap.inputs.roles import TEST_DIR_NAMES as TEST_DIRS
from specgap.verify import baseconfig, gitio

# pytest's default norecursedirs: never look for tests in these.
_NORECURSE = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}", "site-packages")
# Caches and environments: never product code (a repo's own virtualenv is untrusted, and large).
_CACHE_PARTS = frozenset({"__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".tox", ".nox", ".venv", "venv"})

EXTERNAL_DIR = "_specgap_tests"
HOLDOUT_DIR = "_specgap_holdout"


@dataclass(frozen=True)
class Excluded:
    path: str
    reason: str


@dataclass
class Room:
    root: Path
    base: str                                   # resolved base commit
    test_files: list[str] = field(default_factory=list)      # room-relative, visible suite
    holdout_files: list[str] = field(default_factory=list)   # room-relative, held-out suite
    excluded: list[Excluded] = field(default_factory=list)   # agent files left out, and why
    harness_changed: list[str] = field(default_factory=list) # trusted paths the change touched
    protected: list[str] = field(default_factory=list)        # trusted files, kept read-only during the run
    base_code: dict[str, bytes] = field(default_factory=dict)  # the base's version of the room's Python product files
    deleted_code: dict[str, bytes] = field(default_factory=dict)  # base Python product files the change deleted


def is_test_file(path: str) -> bool:
    base = posixpath.basename(path)
    return any(fnmatch.fnmatchcase(base, p) for p in TEST_FILE_PATTERNS)


def is_trusted_path(path: str, extra: tuple[str, ...] = ()) -> bool:
    """Paths whose content must come from the base revision, never from the agent."""
    parts = path.split("/")
    if parts[-1] in RUNNER_CONFIG or is_test_file(path):
        return True
    if any(p in TEST_DIRS for p in parts[:-1]):
        return True
    return any(path == e or path.startswith(e.rstrip("/") + "/") for e in extra)


def dropped_reason(path: str) -> str | None:
    """Why a working-tree file never enters the room (None: it may), or "" for silent cache drops."""
    parts = path.split("/")
    if any(p in _CACHE_PARTS for p in parts) or path.endswith((".pyc", ".pyo")):
        return ""
    if parts[-1] in _STARTUP_NAMES:
        return "interpreter startup hook"
    if path.endswith(".pth"):
        return "path configuration file (runs `import` lines at startup)"
    if any(p.endswith((".dist-info", ".egg-info")) for p in parts):
        return "package metadata (can declare pytest plugins)"
    return None


def _norecurse(path: str) -> bool:
    return any(fnmatch.fnmatchcase(p, pat) for p in path.split("/")[:-1] for pat in _NORECURSE)


def _write(root: Path, rel: str, data: bytes, executable: bool = False) -> None:
    dest = root / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    if executable:
        dest.chmod(0o755)


def _inside(repo: Path, p: Path) -> str | None:
    """`p` as a repo-relative posix path, or None when it lies outside the repo."""
    try:
        return p.resolve().relative_to(repo).as_posix()
    except ValueError:
        return None


def build(
    repo: Path,
    base_rev: str,
    dest: Path,
    *,
    tests: tuple[Path, ...] = (),
    holdout: Path | None = None,
    product_from_base: bool = False,
    select=None,
    installed: frozenset[str] = frozenset(),
) -> Room:
    """Fill `dest` with the clean room; raise `gitio.GitError` for unusable input.

    `product_from_base` builds the do-nothing room: the base revision's product code with the
    same tests. `select(path)` says which trusted files are test files to run (default: the base
    config's `python_files`). `installed` names
    the top-level modules of the trusted site-packages: a module the change adds under such a
    name would shadow the real library (the room comes before site-packages on sys.path).
    """
    repo = gitio.toplevel(repo)
    base = gitio.resolve(repo, base_rev)
    inside: list[str] = []
    outside: list[Path] = []
    for t in map(Path, tests):
        if not t.is_absolute():  # relative to the cwd when it exists there, else to the repo
            t = t.resolve() if t.exists() else repo / t
        rel = _inside(repo, t)
        if rel is not None:
            inside.append("" if rel == "." else rel)
        elif t.exists():
            outside.append(t)
        else:
            raise gitio.GitError(f"test path {t} does not exist")
    extra = tuple(i for i in inside if i)

    room = Room(root=dest, base=base)
    entries = {e.path: e for e in gitio.tree(repo, base)}
    contents = gitio.blobs(repo, [e.sha for e in entries.values() if e.mode != "120000"])

    # The base config says which files are tests; those are trusted wherever they are.
    for name in RUNNER_CONFIG:
        e = entries.get(name)
        if e is not None and e.mode != "120000":
            _write(dest, name, contents[e.sha])
    cfg = baseconfig.read(dest)
    base_tests = baseconfig.selector(baseconfig.file_patterns(cfg))
    doc_glob = baseconfig.selector(baseconfig.doctest_globs(cfg))
    if select is None:
        select = base_tests

    def doctext(path: str) -> bool:
        """A text file pytest runs as a doctest (`--doctest-glob`, default `test*.txt`): a test.
        Only one with examples, at the base or now, counts: `test-requirements.txt` is no test."""
        if path.endswith(".py") or not doc_glob(path):
            return False
        e = entries.get(path)
        return (e is not None and b">>>" in contents.get(e.sha, b"")) or b">>>" in (_read(repo / path) or b"")

    def trusted(path: str) -> bool:
        return is_trusted_path(path, extra) or base_tests(path) or doctext(path)

    for e in entries.values():
        if e.mode == "120000" or dropped_reason(e.path) is not None:
            continue
        if trusted(e.path) or product_from_base:
            _write(dest, e.path, contents[e.sha], e.mode == "100755")
            if trusted(e.path):
                room.protected.append(e.path)

    work = gitio.worktree_files(repo)
    generated = set(baseconfig.version_files(dest)) - set(entries)  # generated at build time, so git-ignored
    work += sorted(generated - set(work))
    base_tops = {_top_module(p) for p in entries}
    present = set()
    for rel in work:
        src = repo / rel
        try:
            st = src.lstat()
        except OSError:
            continue  # listed in the index but deleted in the working tree
        present.add(rel)
        if trusted(rel):
            base_entry = entries.get(rel)
            if base_entry is None or contents.get(base_entry.sha) != _read(src):
                room.harness_changed.append(rel)
                room.excluded.append(Excluded(rel, "test or runner file: the base revision's version is used"))
            continue
        reason = dropped_reason(rel)
        if reason is not None:
            if reason:
                room.excluded.append(Excluded(rel, reason))
            continue
        if product_from_base and rel not in generated:
            continue  # the base's code, with the version file its build generates (the package imports it)
        top = _top_module(rel)
        if top in installed and top not in base_tops:
            room.excluded.append(Excluded(rel, f"new module {top!r} would shadow the installed library of that name"))
            continue
        if os.path.islink(src) or not src.is_file():
            room.excluded.append(Excluded(rel, "symbolic link or special file"))
            continue
        _write(dest, rel, src.read_bytes(), bool(st.st_mode & 0o111))
        base_entry = entries.get(rel)
        if rel.endswith(".py") and base_entry is not None and base_entry.mode != "120000":
            room.base_code[rel] = contents[base_entry.sha]
    room.harness_changed += [p for p in entries if trusted(p) and p not in present]
    if not product_from_base:
        room.deleted_code = {p: contents[e.sha] for p, e in entries.items() if p.endswith(".py") and p not in present
                             and e.mode != "120000" and not trusted(p) and dropped_reason(p) is None}

    # Which trusted files run as tests.
    roots = inside if tests else [""]
    for path in sorted(entries):
        if not trusted(path) or not (dest / path).is_file():
            continue
        for r in roots:
            under = r == "" or path == r or path.startswith(r.rstrip("/") + "/")
            if under and (path == r or (select(path) and not _norecurse(path[len(r):].lstrip("/")))):
                room.test_files.append(path)
                break
    for i, t in enumerate(outside):
        room.test_files += _copy_external(t, dest, f"{EXTERNAL_DIR}/{i}_{t.name}", select)
    if holdout is not None:
        if not holdout.exists():
            raise gitio.GitError(f"holdout path {holdout} does not exist")
        room.holdout_files = _copy_external(holdout, dest, f"{HOLDOUT_DIR}/{holdout.name}", select)
    for d in (EXTERNAL_DIR, HOLDOUT_DIR):
        if (dest / d).is_dir():
            room.protected += sorted(p.relative_to(dest).as_posix() for p in (dest / d).rglob("*") if p.is_file())
    room.excluded.sort(key=lambda x: x.path)
    return room


def _top_module(rel: str) -> str | None:
    """The importable top-level name a path provides from the room root or `src/`."""
    parts = rel.split("/")
    if parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if len(parts) == 1:
        return parts[0][:-3] if parts[0].endswith(".py") else None
    return parts[0]


def installed_modules(site: list[str]) -> frozenset[str]:
    names = set()
    for d in site:
        try:
            entries = os.listdir(d)
        except OSError:
            continue
        for e in entries:
            if e.endswith((".dist-info", ".egg-info", ".pth")) or e.startswith(("_", ".")):
                continue
            names.add(e[:-3] if e.endswith(".py") else e.split(".", 1)[0])
    return frozenset(names)


def _read(p: Path) -> bytes | None:
    try:
        return p.read_bytes()
    except OSError:
        return None


def _copy_external(src: Path, dest: Path, rel: str, select) -> list[str]:
    """Copy trusted tests from outside the repo (caches skipped, symlinks followed)."""
    target = dest / rel
    if src.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        return [rel]
    shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
    found = []
    for p in sorted(target.rglob("*.py")):
        r = p.relative_to(dest).as_posix()
        if select(r) and not _norecurse(p.relative_to(target).as_posix()):
            found.append(r)
    return found
