"""The one way specgap runs git: on a repository whose author may be hostile.

A repository's own config (`.git/config`), attributes and environment could turn `git` into a code
runner: hooks, an fsmonitor command, a pager, an external diff driver, textconv and clean/smudge
filters, a transport helper fetching a partial clone's missing objects. Every call goes through
`run`, which switches off what can be switched off by option; callers use only plumbing that never
applies filters or textconv (`rev-parse`, `ls-tree`, `ls-files`, `cat-file --batch`).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SAFE_OPTIONS = (
    "-c", "core.hooksPath=/dev/null",   # no hooks
    "-c", "core.fsmonitor=false",       # fsmonitor names a command git would run
    "-c", "core.untrackedCache=false",  # nor rewrite the index's cache while listing
    "-c", "diff.external=",             # no external diff driver
    "-c", "core.pager=cat", "--no-pager",
    "-c", "protocol.allow=never",       # no transport (a partial clone would fetch, via helpers)
    "--literal-pathspecs",              # a path is a path, never a glob or magic
)
TIMEOUT = 300.0


def safe_env() -> dict[str, str]:
    """The caller's environment without anything that redirects or configures git."""
    # GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE, GIT_CONFIG_*, GIT_EXTERNAL_DIFF, GIT_PAGER, GIT_ASKPASS ...
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "PAGER"}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",   # nor the machine's config
        GIT_ATTR_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",   # never wait for a password
        GIT_OPTIONAL_LOCKS="0",    # reading must not write the index
        GIT_NO_LAZY_FETCH="1",
        GIT_PAGER="cat",
        PAGER="cat",
        LC_ALL="C",                # messages in one language, for the callers that quote them
    )
    return env


def run(repo: str | Path, *args: str, stdin: bytes | None = None,
        timeout: float = TIMEOUT) -> subprocess.CompletedProcess[bytes]:
    """`git -C repo args...` with every protection on; the exit status is the caller's to judge.

    Raises FileNotFoundError when git is not installed, subprocess.TimeoutExpired after `timeout`.
    """
    return subprocess.run(["git", *SAFE_OPTIONS, "-C", str(repo), *args], input=stdin, capture_output=True,
                          env=safe_env(), timeout=timeout)
