"""Scan speed on a large real tree, against its floor (bare `ast.parse`) and against `bandit -r`.

Usage: python bench/speed.py [TREE] [--no-bandit]

TREE defaults to the installed pandas package (hundreds of files, tens of MB). All three run on the
same files in one run; prints files/s and MB/s for each and the ratios. Never asserts.
Goal (issue 2): specgap within 2x of bare parsing, and faster than bandit.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

from specgap.engine import run_rules
from specgap.inputs import load_files
from specgap.rules import scan_rules


def default_tree() -> Path:
    for name in ("pandas", "scipy", "numpy"):
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            return Path(next(iter(spec.submodule_search_locations)))
    return Path(ast.__file__).parent  # the stdlib, always there


def py_files(tree: Path) -> list[Path]:
    return [Path(d) / f for d, _, fs in os.walk(tree) for f in fs if f.endswith(".py")]


def bare_parse(files: list[Path]) -> float:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in files:
            try:
                ast.parse(f.read_bytes())
            except (SyntaxError, ValueError):
                pass
    return time.perf_counter() - t0


def specgap_scan(tree: Path) -> float:
    t0 = time.perf_counter()
    cs = load_files([tree])
    run_rules(cs, scan_rules())
    return time.perf_counter() - t0


def bandit(tree: Path) -> float | None:
    exe = shutil.which("bandit")
    if exe is None:
        return None
    t0 = time.perf_counter()
    subprocess.run([exe, "-r", "-q", "-f", "json", "-o", os.devnull, str(tree)], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tree", nargs="?", type=Path, default=None)
    ap.add_argument("--no-bandit", action="store_true")
    args = ap.parse_args()
    tree = args.tree or default_tree()
    files = py_files(tree)
    mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"tree: {tree}  python files: {len(files)}  size: {mb:.1f} MB")
    bare_parse(files)  # warm the page cache so nobody pays for the first read
    rows = [("ast.parse (floor)", bare_parse(files)), ("specgap scan --files", specgap_scan(tree))]
    if not args.no_bandit:
        b = bandit(tree)
        rows.append(("bandit -r", b) if b is not None else ("bandit -r (not installed)", None))
    floor = rows[0][1]
    for name, secs in rows:
        if secs is None:
            print(f"  {name}")
            continue
        print(f"  {name:24s} {secs:7.2f}s  {len(files) / secs:8.0f} files/s  {mb / secs:6.2f} MB/s  "
              f"{secs / floor:5.2f}x floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
