"""Peak memory and time of `specgap monitor` on a large log in Parquet shards. Prints numbers.

    python bench/monitor_memory.py                          # 100M rows in 10 shards, polars engine
    python bench/monitor_memory.py --rows 20000000          # smaller
    python bench/monitor_memory.py --engine ray             # the same aggregates on Ray Data
    python bench/monitor_memory.py --rows 10000000 --rows-path   # also the old way: load every row
    python bench/monitor_memory.py --rows 20000000 --all-checks  # + length bias and flag checks

The log (a divergence: the proxy keeps rising, the truth peaks then falls; 1,000 rows per step, two
runs as groups) is written once per size under bench/out/. With --all-checks it also has an output
length the proxy pays for and a moderator's flags, so SG804 (with --length and --truth) and
SG806/SG807 run on the same per-step aggregates as SG801-SG803. Each measurement runs the command in its
own process; the peak RSS printed is ru_maxrss of the children, and beside it the command's own process's
(its RUSAGE_SELF at exit): with Ray that is the driver's, where the shards' parts are joined.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
PER_STEP = 1000


def written_apart(d: Path, write, *args) -> Path:
    """`write(*args, d)` run in a separate process unless `d` is complete already: a measured child
    forked from a process that held the data would count that process's resident pages in its own peak."""
    import multiprocessing

    if not (d / ".complete").exists():
        p = multiprocessing.get_context("spawn").Process(target=write, args=(*args, d))
        p.start()
        p.join()
        if p.exitcode:
            sys.exit(f"writing {d} failed")
    return d


def make_shards(rows: int, shards: int, extra: bool = False) -> Path:
    """The log's shards (see `written_apart`)."""
    return written_apart(OUT / f"monitor_mem_{rows}_{shards}{'_all' if extra else ''}", _write_shards, rows, shards, extra)


def _write_shards(rows: int, shards: int, extra: bool, d: Path) -> None:
    import numpy as np
    import polars as pl

    done = d / ".complete"
    d.mkdir(parents=True, exist_ok=True)
    steps = rows // PER_STEP
    per_shard = steps // shards
    for i in range(shards):
        rng = np.random.default_rng(i)
        s0, s1 = i * per_shard, (i + 1) * per_shard if i < shards - 1 else steps
        step = np.repeat(np.arange(s0, s1, dtype=np.int64), PER_STEP)
        u = step / steps
        truth = 0.6 * np.sin(np.pi * np.minimum(u / 0.8, 1.0)) + rng.normal(0, 0.5, len(step))
        proxy = truth + 1.5 * np.maximum(u - 0.4, 0) + rng.normal(0, 0.3, len(step))
        run = np.where(rng.random(len(step)) < 0.5, "run-a", "run-b")
        cols = {"step": step, "run": run, "reward_model": proxy, "gold_reward": truth}
        if extra:
            length = np.exp(rng.normal(5, 0.6, len(step)))
            cols["reward_model"] = proxy + 0.2 * np.log(length)
            harmful = rng.random(len(step)) < 0.15
            cols |= {"length": length.round().astype(np.int32), "harmful": harmful.astype(np.int8),
                     "flagged": (harmful | (rng.random(len(step)) < u * 0.5)).astype(np.int8)}
        pl.DataFrame(cols).write_parquet(d / f"part-{i:02d}.parquet")
        del step, u, truth, proxy, run
    done.touch()


def measure(args: list[str], large_rows: int | None = None) -> tuple[float, float, float, int, dict]:
    t0 = time.perf_counter()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = ru0.ru_maxrss
    # the old way, for comparison: raise the threshold above the log's size so every row is loaded
    # the command's own peak too (its process alone: with Ray, ru_maxrss of the children may be a worker's)
    code = ("import atexit, resource, sys, specgap.monitor.run as r; from specgap.cli import main; "
            "atexit.register(lambda: sys.stderr.write("
            "f'\\nself_peak_kib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n')); "
            f"r.LARGE_ROWS = {large_rows or 'r.LARGE_ROWS'}; sys.argv = ['specgap', *sys.argv[1:]]; main()")
    proc = subprocess.run([sys.executable, "-c", code, "monitor", *args, "--format", "json"],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ru.ru_utime + ru.ru_stime - ru0.ru_utime - ru0.ru_stime
    peak_kib = ru.ru_maxrss
    if peak_kib <= before:
        print("  (peak RSS not above an earlier child's; run one measurement per invocation for exact numbers)")
    rep = json.loads(proc.stdout) if proc.returncode in (0, 1) else {}
    if not rep:
        print(proc.stderr[-2000:])
    own = [int(x.split("=")[1]) for x in proc.stderr.split() if x.startswith("self_peak_kib=")]
    return wall, cpu, peak_kib / 2**20, proc.returncode, rep, (own[-1] if own else float("nan")) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--shards", type=int, default=10)
    ap.add_argument("--engine", choices=["polars", "ray"], default="polars")
    ap.add_argument("--rows-path", action="store_true", help="measure loading every row instead (the old way)")
    ap.add_argument("--all-checks", action="store_true", help="also length bias (SG804) and flags (SG806/SG807)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    d = make_shards(a.rows, a.shards, a.all_checks)
    size = sum(p.stat().st_size for p in d.glob("*.parquet"))
    print(f"log: {a.rows:,} rows in {a.shards} Parquet shards, {size / 2**30:.2f} GiB on disk "
          f"(ready in {time.perf_counter() - t0:.0f} s)")
    args = [str(d / "*.parquet"), "--step", "step", "--group", "run", "--proxy", "reward_model",
            "--truth", "gold_reward", "--engine", a.engine]
    if a.all_checks:
        args += ["--length", "length", "--pred", "flagged", "--label", "harmful"]
    wall, cpu, gib, code, rep, own = measure(args, a.rows + 1 if a.rows_path else None)
    fired = sorted({(f["rule_id"], f.get("group") or "overall") for f in rep.get("findings", [])})
    notes = " ".join(n["message"] for n in rep.get("summary", {}).get("notes", []))
    how = f"per-step aggregates, {a.engine}" if "per-step aggregates" in notes else "every row loaded"
    print(f"monitor ({how}): {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {gib:.2f} GiB (the command's own "
          f"process: {own:.2f} GiB), exit {code}, "
          f"{rep.get('summary', {}).get('rows', 0):,} rows, fired: {', '.join(f'{r} {g}' for r, g in fired) or 'none'}")


if __name__ == "__main__":
    main()
