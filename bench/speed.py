"""Scan speed on large real trees, against its floor (bare `ast.parse`) and against `bandit -r`.

Usage: python bench/speed.py [TREE ...] [--no-bandit] [--jobs N] [--repeat N]

TREEs default to the installed pandas and numpy packages (about 1,900 files together; install them
into the bench venv: `pip install pandas`). Every row runs on the same files in one run and reports
wall time AND CPU seconds (on a shared machine, CPU seconds are the steadier number; bandit's are
its child process's; the pool's include its workers'), files/s, and the ratio to the floor. The
floor parses every file specgap parses as Python (`.py` and `.pyi`); specgap runs as a user runs
it (`specgap.scan_files`: reading, roles, config, rules, report data), in one process and with a
pool of `--jobs` workers (default: every core). Never asserts.
Goals (issue 9): specgap single-process within 2x of bare parsing, and 5x faster than bandit.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Callable

import specgap
import specgap.rules
from specgap.run.pool import available_cores


def default_trees() -> list[Path]:
    out = []
    for name in ("pandas", "numpy"):
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            out.append(Path(next(iter(spec.submodule_search_locations))))
    return out or [Path(ast.__file__).parent]  # the stdlib, always there


def py_files(trees: list[Path]) -> list[Path]:
    return [Path(d) / f for t in trees for d, _, fs in os.walk(t) for f in fs if f.endswith((".py", ".pyi"))]


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its children) of `run()`."""
    def cpu() -> float:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    c0, t0 = cpu(), time.perf_counter()
    run()
    return time.perf_counter() - t0, cpu() - c0


def bare_parse(files: list[Path]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in files:
            try:
                ast.parse(f.read_bytes())
            except (SyntaxError, ValueError):
                pass


def specgap_scan(trees: list[Path], jobs: int) -> int:
    return len(specgap.scan_files(trees, jobs=jobs).findings)


def bandit(trees: list[Path]) -> Callable[[], object] | None:
    exe = shutil.which("bandit") or shutil.which("bandit", path=str(Path(sys.executable).parent))
    if exe is None:
        return None
    return lambda: subprocess.run([exe, "-r", "-q", "-f", "json", "-o", os.devnull, *map(str, trees)], check=False,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _alternated(a: Callable[[], object], b: Callable[[], object], n: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """The least-CPU (wall, cpu) of `a` and of `b`, each run `n` times in turn."""
    runs_a, runs_b = [], []
    for _ in range(max(n, 1)):
        runs_a.append(timed(a))
        runs_b.append(timed(b))
    return min(runs_a, key=lambda t: t[1]), min(runs_b, key=lambda t: t[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trees", nargs="*", type=Path)
    ap.add_argument("--no-bandit", action="store_true")
    ap.add_argument("--jobs", type=int, default=available_cores(), help="workers of the pool row (default: every core)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run the floor and the one-process scan this many times, alternated, and keep each one's "
                         "least CPU (a shared or virtual machine's CPU time varies by 10%% from run to run)")
    args = ap.parse_args()
    trees = args.trees or default_trees()
    files = py_files(trees)
    mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"trees: {', '.join(map(str, trees))}\npython files (.py, .pyi): {len(files)}  size: {mb:.1f} MB"
          f"  cores: {available_cores()}  load: {os.getloadavg()[0]:.1f}")
    bare_parse(files)  # warm the page cache so nobody pays for the first read
    print(f"  {'':34s} {'wall':>8s} {'cpu':>8s} {'files/s':>9s} {'wall/floor':>10s} {'cpu/floor':>9s}")
    # once per process, and compiled from source when bytecode is not written (PYTHONDONTWRITEBYTECODE)
    catalog = timed(specgap.rules.scan_rules)[1]
    floor, single = _alternated(lambda: bare_parse(files), lambda: specgap_scan(trees, 1), args.repeat)
    times: dict[str, tuple[float, float]] = {}

    def row(name: str, t: tuple[float, float]) -> None:  # printed as soon as measured
        times[name] = t
        wall, cpu = t
        print(f"  {name:34s} {wall:7.2f}s {cpu:7.2f}s {len(files) / wall:9.0f} {wall / floor[0]:9.2f}x "
              f"{cpu / floor[1]:8.2f}x", flush=True)

    row("ast.parse (floor)", floor)
    print(f"  (specgap's imports and rule catalog, once per process: {catalog:.2f}s cpu)")
    row("specgap, one process" + (f" (best of {args.repeat})" if args.repeat > 1 else ""), single)
    if args.jobs > 1:
        row(f"specgap, {args.jobs} workers", timed(lambda: specgap_scan(trees, args.jobs)))
    if not args.no_bandit:
        b = bandit(trees)
        if b is None:
            print("  bandit -r (not installed)")
        else:
            row("bandit -r", timed(b))
            (bw, bc), (sw, sc) = times["bandit -r"], single
            print(f"specgap vs bandit: {bw / sw:.1f}x faster (wall), {bc / sc:.1f}x (cpu)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
