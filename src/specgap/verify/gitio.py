"""Read a repository without letting it run anything: no hooks, no fsmonitor, no filters.

Blobs are read raw with `git cat-file --batch`, so attributes, smudge filters and checkout
hooks the agent may have planted in `.git` never execute during verification.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from specgap.inputs import gitcmd


class GitError(Exception):
    """The repository or revision could not be read; the message is for the user."""


def git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        proc = gitcmd.run(repo, *args, stdin=stdin, timeout=120)
    except FileNotFoundError as exc:
        raise GitError("git is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} timed out") from exc
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {msg[-1] if msg else 'exit ' + str(proc.returncode)}")
    return proc.stdout


def toplevel(repo: Path) -> Path:
    if not repo.is_dir():
        raise GitError(f"{repo} is not a directory")
    try:
        out = git(repo, "rev-parse", "--show-toplevel")
    except GitError as exc:
        raise GitError(f"{repo} is not a git repository") from exc
    return Path(out.decode().strip())


def resolve(repo: Path, rev: str) -> str:
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").decode().strip()
    except GitError as exc:
        raise GitError(f"revision {rev!r} not found in {repo}") from exc


@dataclass(frozen=True)
class Entry:
    path: str
    mode: str
    sha: str


def tree(repo: Path, commit: str) -> list[Entry]:
    """Files of a commit (blobs and symlinks; submodules are skipped)."""
    out = git(repo, "ls-tree", "-r", "-z", "--full-tree", commit)
    entries = []
    for rec in out.split(b"\0"):
        if not rec:
            continue
        meta, path = rec.split(b"\t", 1)
        mode, kind, sha = meta.decode().split()
        if kind == "blob":
            entries.append(Entry(path.decode("utf-8", "surrogateescape"), mode, sha))
    return entries


def blobs(repo: Path, shas: list[str]) -> dict[str, bytes]:
    """Raw contents of blobs, read in one `cat-file --batch` call."""
    if not shas:
        return {}
    unique = list(dict.fromkeys(shas))
    out = git(repo, "cat-file", "--batch", stdin=("\n".join(unique) + "\n").encode())
    result: dict[str, bytes] = {}
    pos = 0
    for sha in unique:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].decode().split()
        if len(header) != 3:
            raise GitError(f"object {sha} is missing from the repository")
        size = int(header[2])
        result[sha] = out[nl + 1 : nl + 1 + size]
        pos = nl + 1 + size + 1
    return result


def worktree_files(repo: Path) -> list[str]:
    """Tracked and untracked (not ignored) paths present in the working tree."""
    out = git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return sorted({p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p})
