"""The process pool's speed-up on a real tree: `scan --files TREE` with --jobs 1 and --jobs N.

Usage: python bench/pool_speed.py [TREE] [--jobs N] [--repeat R]

TREE defaults to the largest of scipy, numpy, matplotlib installed here (its sources copied to a
temporary directory without bytecode or extension modules). Prints wall and CPU seconds (this
process and its workers) for each run, the speed-up, and whether the findings were identical.
Never asserts.
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import specgap
from specgap.run.pool import available_cores


def default_tree() -> Path | None:
    found = []
    for name in ("scipy", "numpy", "matplotlib", "pandas"):
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            root = Path(next(iter(spec.submodule_search_locations)))
            found.append((sum(1 for _ in root.rglob("*.py")), root))
    return max(found)[1] if found else None


def cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(tree: Path, jobs: int) -> tuple[float, float, specgap.ScanResult]:
    c0, t0 = cpu(), time.perf_counter()
    result = specgap.scan_files([tree], config=specgap.Config(), jobs=jobs)
    return time.perf_counter() - t0, cpu() - c0, result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tree", nargs="?", type=Path)
    ap.add_argument("--jobs", type=int, default=available_cores())
    ap.add_argument("--repeat", type=int, default=1, help="runs of each; the best wall time is kept")
    args = ap.parse_args()
    src = args.tree or default_tree()
    if src is None:
        print("no tree given and none of scipy/numpy/matplotlib/pandas installed", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="specgap-pool-"))
    try:
        tree = tmp / src.name
        shutil.copytree(src, tree, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "*.dll"))
        n = sum(1 for _ in tree.rglob("*.py"))
        print(f"tree: {src} ({n} Python files)  cores available: {available_cores()}")
        rows = []
        for jobs in (1, args.jobs):
            best = min((timed(tree, jobs) for _ in range(args.repeat)), key=lambda r: r[0])
            rows.append((jobs, *best))
            print(f"  --jobs {jobs:<3d} wall {best[0]:7.2f}s  cpu {best[1]:7.2f}s  findings {len(best[2].findings)}")
        (_, w1, _, r1), (_, wn, _, rn) = rows
        same = r1.findings == rn.findings and r1.errors == rn.errors
        print(f"  speed-up (wall): {w1 / wn:.2f}x   findings identical: {same}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
