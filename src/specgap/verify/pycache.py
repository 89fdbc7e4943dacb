"""A bytecode cache for the interpreter's own modules, written only by the trusted parent.

Each child runs with a fresh `-X pycache_prefix`, so no bytecode planted next to any source (the
room, site-packages) is ever loaded. Compiling pytest, hypothesis and the stdlib from source on
every run is slow, though, so the parent keeps a cache of the *interpreter's* modules: after a run
it compiles, itself and from their real sources, the stdlib and site-packages files the child
imported; the next child's prefix starts as a copy of that cache (under bubblewrap, the cache is
mounted read-only instead). The child never writes to the cache, and the room's modules are never
in it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path


def location(python: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    tag = hashlib.sha256(os.path.realpath(python).encode()).hexdigest()[:16]
    return base / "specgap" / "pycache" / tag


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(src, dst)


def seed(cache: Path, prefix: Path, roots: list[str]) -> None:
    """Start a fresh prefix from the trusted cache's entries for the sources under `roots` (the
    stdlib and the run's site-packages; nothing when the cache has none yet).

    The cache is one per base interpreter, and every virtualenv made from it adds its packages:
    only this run's part is linked (one user's cache held 24,000 files, 500 of them this run's).
    Hard links, not copies: a copy of a large cache per run dominated the run time. This is only
    used where the child runs as our own user without a read-only mount (no sandbox, unshare), so it
    could already write to the cache directory itself; a link gives it nothing more. Python replaces
    a pyc by renaming a new file over it, which leaves the cache's file untouched.
    """
    # The prefix mirrors each source's absolute path; a root inside another is linked with it.
    tops = sorted({os.path.realpath(r).rstrip("/") + "/" for r in roots})
    tops = [t for i, t in enumerate(tops) if not any(t.startswith(o) for o in tops[:i])]
    for top in tops:
        src = cache / top.strip("/")
        if src.is_dir():
            shutil.copytree(src, prefix / top.strip("/"), dirs_exist_ok=True, copy_function=_link_or_copy)


def learn(python: str, cache: Path, imported: list[str], roots: list[str]) -> None:
    """Compile the imported interpreter modules (under `roots` only) into the cache, from source."""
    roots = [os.path.realpath(r).rstrip("/") + "/" for r in roots]
    wanted = sorted({
        p for p in (os.path.realpath(f) for f in imported if isinstance(f, str) and f.endswith(".py"))
        if any(p.startswith(r) for r in roots) and os.path.isfile(p)
    })
    if not wanted:
        return
    cache.mkdir(parents=True, exist_ok=True)
    code = ("import importlib.util, os, py_compile, sys\n"
            "for f in sys.stdin.read().split('\\0'):\n"
            "    c = importlib.util.cache_from_source(f)\n"
            "    if os.path.exists(c) and os.stat(c).st_mtime >= os.stat(f).st_mtime: continue\n"
            "    try: py_compile.compile(f, doraise=True)\n"
            "    except Exception: pass\n")
    try:
        subprocess.run([python, "-I", "-S", "-X", f"pycache_prefix={cache}", "-c", code], input="\0".join(wanted),
                       text=True, capture_output=True, timeout=300, env={"PATH": os.defpath})
    except (OSError, subprocess.TimeoutExpired):
        pass  # a cold cache only costs time
