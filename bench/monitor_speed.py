"""Throughput and peak memory of each `specgap monitor` check on large synthetic logs. Prints numbers.

    python bench/monitor_speed.py                 # 1M rows
    python bench/monitor_speed.py --rows 10000000 # 10M rows (takes a while; run it in the background)

Each check runs in its own process (reading the Parquet log included), so the peak RSS it prints
is that check's alone. The log is written once per size under bench/out/.
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

CHECKS = {
    "divergence SG801-803": dict(step="step", proxy=["reward_model"], truth=["gold_reward"]),
    "length SG804": dict(step="step", proxy=["reward_model"], truth=["gold_reward"], length="length"),
    "self SG805": dict(self_rating="self_score", independent="independent_score"),
    "classifier SG806-807": dict(step="step", pred="flagged", label="harmful"),
    "sessions SG809": dict(step="turn", session="session", proxy=["reward_model"], truth=["gold_reward"]),
    "text SG808+SG810": dict(proxy=["reward_model"], truth=["gold_reward"], text="output"),
}


def make_log(rows: int) -> Path:
    import numpy as np
    import polars as pl

    from specgap.monitor import synth

    path = OUT / f"monitor_{rows}.parquet"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    per_step = 1000
    train = synth.training_run(1, 0.5, steps=rows // per_step, per_step=per_step)
    n = train.height
    flags = synth.classifier_run(2, 0.5, n=n)
    q = rng.normal(0, 1, n)
    # texts from a pool: generating 10M distinct texts in Python would dominate the benchmark
    pool = [synth.text(rng, int(k)) for k in rng.integers(1, 8, 5000)]
    df = train.with_columns(
        flags["flagged"], flags["harmful"],
        pl.Series("self_score", np.clip(np.round(6 + 1.5 * q + rng.normal(0.3, 1, n)), 1, 10)),
        pl.Series("independent_score", np.clip(np.round(6 + 1.5 * q + rng.normal(0, 1, n)), 1, 10)),
        pl.Series("session", np.arange(n) // 1000).cast(pl.Utf8),
        pl.Series("turn", np.arange(n) % 1000),
        pl.Series("output", pool).gather(rng.integers(0, len(pool), n)),
    )
    df.write_parquet(path)
    return path


def child(check: str, path: str) -> None:
    from specgap.monitor.run import run
    from specgap.monitor.spec import Spec

    t = time.perf_counter()
    report = run([path], Spec(**CHECKS[check]))
    secs = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": secs, "peak_mb": rss, "rows": report.rows, "findings": len(report.findings)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--child", nargs=2, metavar=("CHECK", "PATH"))
    ap.add_argument("--only", nargs="*", help="run only checks whose name contains one of these")
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    for rows in a.rows:
        t = time.perf_counter()
        path = make_log(rows)
        print(f"# {rows:,} rows: {path.name} ({path.stat().st_size / 2**20:.0f} MiB, made in "
              f"{time.perf_counter() - t:.0f}s)", flush=True)
        print(f"{'check':<24}{'seconds':>10}{'rows/s':>14}{'peak MiB':>10}", flush=True)
        for check in CHECKS:
            if a.only and not any(o in check for o in a.only):
                continue
            res = subprocess.run([sys.executable, __file__, "--child", check, str(path)],
                                 capture_output=True, text=True)
            if res.returncode:
                print(f"{check:<24} failed: {res.stderr.strip().splitlines()[-1:]}", flush=True)
                continue
            r = json.loads(res.stdout.strip().splitlines()[-1])
            print(f"{check:<24}{r['seconds']:>10.1f}{r['rows'] / r['seconds']:>14,.0f}{r['peak_mb']:>10,.0f}",
                  flush=True)


if __name__ == "__main__":
    main()
