"""Which files of a directory tree a scan reads, found without reading the rest.

Python sources and the files that decide how tests run are read; so are planted bytecode
(`__pycache__/*.pyc`) and startup hooks (`.pth`, sitecustomize.py), which is why caches are not
skipped wholesale. Environments, VCS metadata and tool caches are skipped: they are not the
agent's work and can hold hundreds of thousands of files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from specgap.inputs.roles import HARNESS_NAMES, HARNESS_PATTERNS, SPECGAP_CONFIG_NAMES, matches_any

SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr",
        "node_modules", ".venv", "venv", ".tox", ".nox", ".eggs",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".ipynb_checkpoints",
    }
)
CODE_SUFFIXES = (".py", ".pyi", ".pyc", ".pyo", ".pth")
TRANSCRIPT_SUFFIXES = (".md", ".markdown", ".json", ".jsonl")


def is_code_or_harness(rel: str) -> bool:
    """Python, bytecode, .pth, or a file roles.py knows as harness or specgap config."""
    base = rel.rsplit("/", 1)[-1]
    return (
        rel.endswith(CODE_SUFFIXES)
        or base in HARNESS_NAMES
        or base in SPECGAP_CONFIG_NAMES
        or matches_any(rel, HARNESS_PATTERNS)
        or (rel.startswith((".github/", ".gitlab/")) and rel.endswith((".yml", ".yaml")))
    )


def has_python_shebang(path: str | Path) -> bool:
    """An extensionless script that runs with Python (read: its first line only)."""
    try:
        with open(path, "rb") as fh:
            first = fh.read(128)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first.split(b"\n", 1)[0]


def walk(root: Path) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every entry below `root` (posix path relative to it, entry) outside skipped directories.

    Directory symlinks are not followed (they can loop or leave the tree).
    """
    stack = [(root, "")]
    while stack:
        d, prefix = stack.pop()
        try:
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for e in entries:
            rel = prefix + e.name
            if e.is_dir(follow_symlinks=False):
                # any virtualenv, whatever its name, holds a pyvenv.cfg
                if e.name not in SKIP_DIRS and not os.path.exists(os.path.join(e.path, "pyvenv.cfg")):
                    subdirs.append((Path(e.path), rel + "/"))
                continue
            yield rel, e
        stack.extend(reversed(subdirs))
