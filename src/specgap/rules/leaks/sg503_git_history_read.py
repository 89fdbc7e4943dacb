"""SG503 git-history-read: Code that digs the answer out of the repository's history."""

from __future__ import annotations

import re
from typing import Iterator

from specgap.analysis.context import Context
from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.leaks._shared import (
    _NON_TEST,
    _basename,
    _command,
    _file_and_shell_calls,
    _path_text,
    _read_targets,
)

_GIT_GLOBAL_WITH_VALUE = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace"})
_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_REV = re.compile(r"^(HEAD|ORIG_HEAD|FETCH_HEAD|origin/|refs/|stash@)|[~^]\d*$|@\{")
_GIT_OBJECTS = re.compile(r"(^|/)\.git/(objects|refs|packed-refs|logs|ORIG_HEAD|FETCH_HEAD)")


def _git_args(toks: list[str]) -> list[str] | None:
    """Arguments after `git [global options]`, or None if the command is not git."""
    if not toks or _basename(toks[0]) != "git":
        return None
    i = 1
    while i < len(toks) and toks[i].startswith("-"):
        i += 2 if toks[i] in _GIT_GLOBAL_WITH_VALUE else 1
    return toks[i:]


def _history_search(args: list[str]) -> str | None:
    """Why a git command digs through history for code (`log -S`, `show <rev>:<path>` ...), if it does."""
    if not args:
        return None
    sub, rest = args[0], args[1:]
    if sub == "log":
        picks = [a for a in rest if a.startswith(("-S", "-G", "-L", "--pickaxe")) or a in ("--all", "-p", "--patch",
                                                                                           "--reflog", "-u")]
        return f"git log {' '.join(picks)} searches other commits' changes" if picks else None
    if sub == "show":
        revs = [a for a in rest if ":" in a and not a.startswith("-") or _SHA.match(a) or _REV.search(a) or a == "--all"]
        return f"git show {revs[0]} reads another revision" if revs else None
    if sub in ("cat-file", "reflog", "fsck", "unpack-objects", "verify-pack"):
        return f"git {sub} reads raw history"
    if sub == "rev-list" and ("--all" in rest or "--objects" in rest):
        return "git rev-list over all history"
    if sub in ("checkout", "restore") and ("--source" in " ".join(rest) or any(_SHA.match(a) or _REV.search(a) for a in rest)):
        return f"git {sub} of files from another revision"
    if sub == "stash" and rest[:1] == ["show"] and "-p" in rest:
        return "git stash show -p"
    if sub == "grep" and any(_SHA.match(a) or _REV.search(a) or a.startswith("$(") for a in rest):
        return "git grep over other revisions"
    return None


@register
class GitHistoryRead(Rule):
    """Code that digs the answer out of the repository's history.

    What it does: finds commands run from code (`subprocess`, `os.system`, GitPython's
    `repo.git.log(...)`) that search or read other revisions (`git log -S/-G/--all -p`,
    `git show <rev>:<path>`, `git cat-file`, `git reflog`, `git checkout <rev> -- <path>`), and reads
    of `.git/objects`, `.git/refs`, `.git/packed-refs`. Version lookups (`git describe`,
    `git rev-parse HEAD`, `git log -1 --format=...`) are not reported.

    Why is this bad: task repositories often still hold the reference solution or the hidden tests
    in a later commit, a branch, the reflog or a stash; reading them is copying the answer.

    Example:
        subprocess.run(["git", "log", "--all", "-p", "-S", "def solve"], capture_output=True)

    Use instead: solve the task from the code at the checked-out revision.
    """

    id = "SG503"
    name = "git-history-read"
    family = "leaks"
    kind = Kind.GAMING
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    roles = _NON_TEST
    mentions = re.compile(r"git")

    def check_module(self, cf: ChangedFile, ix: Context, changeset: ChangeSet) -> Iterator[Finding]:
        names = ix.names
        for call in _file_and_shell_calls(ix):
            target = _read_targets(call, names)
            if target is not None:
                path = _path_text(target, names, ix)
                if _GIT_OBJECTS.search(path):
                    yield self.finding(cf, call, f"reads git's object store directly: {path!r}")
                continue
            for toks in _command(call, names) or ():
                args = _git_args(toks)
                why = _history_search(args) if args is not None else None
                if why:
                    yield self.finding(cf, call, why)
                    break
