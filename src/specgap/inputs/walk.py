"""Which files of a directory tree a scan reads, found without reading the rest.

Python sources and the files that decide how tests run are read; so are planted bytecode
(`__pycache__/*.pyc`) and startup hooks (`.pth`, sitecustomize.py), which is why caches are not
skipped wholesale. Environments, VCS metadata and tool caches are skipped (they are not the
agent's work and can hold hundreds of thousands of files), except for the startup hooks in an
environment's site-packages.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from specgap.inputs.roles import (
    AGENT_INSTRUCTION_PATTERNS,
    AGENT_SETTINGS_PATTERNS,
    HARNESS_NAMES,
    HARNESS_PATTERNS,
    SPECGAP_CONFIG_NAMES,
    STARTUP_HOOK_NAMES,
    matches_any,
)

# Python environments: skipped, except for the startup hooks in their site-packages.
ENV_DIRS = frozenset({".venv", "venv", ".tox", ".nox"})
SKIP_DIRS = ENV_DIRS | frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", "node_modules", ".eggs",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".ipynb_checkpoints",
    }
)
_SITE_PACKAGES = ("lib/python*/site-packages", "Lib/site-packages", "*/lib/python*/site-packages", "*/Lib/site-packages")
# A directory named on the command line is a tree to read, not a change: these are left out of it
# (the usual build outputs and caches, as ruff and bandit leave them out), on top of SKIP_DIRS.
# Bytecode caches too: in an installed package every module has one. A cache planted beside the
# tests is still reported in changes (git, --diff, --trees) and is defeated by `specgap verify`.
TREE_EXCLUDES = ("__pycache__", "build", "dist", "_build", "buck-out", "*.egg-info", "__pypackages__",
                 ".direnv", ".pytype", ".pants.d")
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
        or matches_any(rel, AGENT_INSTRUCTION_PATTERNS + AGENT_SETTINGS_PATTERNS)
        or (rel.startswith((".github/", ".gitlab/")) and rel.endswith((".yml", ".yaml")))
    )


def is_startup_hook(rel: str) -> bool:
    """Code every Python process of an environment runs at startup: .pth files, site/usercustomize."""
    return rel.endswith(".pth") or rel.rsplit("/", 1)[-1] in STARTUP_HOOK_NAMES


def is_env_dir(path: Path) -> bool:
    return path.name in ENV_DIRS or (path / "pyvenv.cfg").exists()


def startup_hooks(env: Path, prefix: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """The startup hooks in a skipped environment's site-packages (planted there, they still run)."""
    for pattern in _SITE_PACKAGES:
        for site in sorted(env.glob(pattern)):
            try:
                with os.scandir(site) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                continue
            for e in entries:
                if is_startup_hook(e.name) and not e.is_dir(follow_symlinks=False):
                    yield prefix + site.relative_to(env).as_posix() + "/" + e.name, e


def has_python_shebang(path: str | Path) -> bool:
    """An extensionless script that runs with Python (read: its first line only)."""
    try:
        with open(path, "rb") as fh:
            first = fh.read(128)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first.split(b"\n", 1)[0]


def walk(root: Path, exclude: tuple[str, ...] = ()) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every entry below `root` (posix path relative to it, entry) outside skipped directories,
    and the startup hooks of skipped environments. Directory symlinks are not followed (they can
    loop or leave the tree). `exclude`: globs of files and directories to leave out, matched
    against the relative path or, for a pattern without `/`, the name (`build`, `*.egg-info`)."""
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
            if exclude and matches_any(rel, exclude):
                continue
            if e.is_dir(follow_symlinks=False):
                # any virtualenv, whatever its name, holds a pyvenv.cfg
                if is_env_dir(Path(e.path)):
                    yield from startup_hooks(Path(e.path), rel + "/")
                elif e.name not in SKIP_DIRS:
                    subdirs.append((Path(e.path), rel + "/"))
                continue
            yield rel, e
        stack.extend(reversed(subdirs))


def skipped_dir(rel: str, env_dirs: set[str]) -> str | None:
    """The skipped directory (environment, cache, VCS) that `rel` lies in, if any.

    `env_dirs`: directories known to be virtualenvs (they hold a pyvenv.cfg), whatever their name.
    """
    parts = rel.split("/")[:-1]
    for i, part in enumerate(parts):
        d = "/".join(parts[: i + 1])
        if part in SKIP_DIRS or d in env_dirs:
            return d
    return None


def under_real_dirs(root: Path, rel: str, cache: dict[str, bool]) -> bool:
    """Whether the directories above `rel` are real directories of `root`, not symlinks that
    may lead anywhere (checked once per directory, through `cache`)."""
    parent = rel.rpartition("/")[0]
    if parent not in cache:
        real_root = os.path.realpath(root)
        cache[parent] = os.path.realpath(root / parent) == os.path.join(real_root, parent).rstrip("/")
    return cache[parent]
