"""Peak memory and CPU of each monitor check that used to read rows, now on aggregates. Prints numbers.

    python bench/monitor_checks_memory.py --rows 20000000                 # every check, 20M rows each
    python bench/monitor_checks_memory.py --rows 2000000 --check text     # one check
    python bench/monitor_checks_memory.py --rows 20000000 --engine ray
    python bench/monitor_checks_memory.py --rows 10000000 --check text --format csv   # CSV (or jsonl) shards

For each check a log of `--rows` rows in `--shards` Parquet shards (or `--format` CSV or JSONL ones) is
written once under bench/out/ (seeded; the gamed half of each log is the group `gamed`), then `specgap
monitor` runs on it in its own process with the threshold for loading rows left at its default, so a log above 2M rows goes
through the streamed aggregates (`--engine polars`) or Ray shards. Printed per check: wall time, CPU
seconds of the child (user + system; for Ray the driver only, as in monitor_memory.py), its peak RSS,
and the findings. The checks:

- judge: SG804 pointwise with --model and --prompt (and --truth): per-(model, prompt) cell moments
- pairs: SG804 pairwise with model and prompt terms and the truth's choice: cells with a binned ratio
- self: SG805 self-ratings (1-10): counts per rating pair
- sessions: SG809: moments per (session, turn), episodes of 250 turns
- text: SG808 (hashed sample), SG810 and SG804 from the text: the text is tokenized in the stream
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from monitor_memory import OUT, measure, written_apart  # noqa: E402

CHECKS = ("judge", "pairs", "self", "sessions", "text")
WORDS = ("the model answers the question about refund policy and the customer gets a clear reply with "
         "dates amounts and steps to follow when the order arrives late or damaged").split()


def _frame(check: str, n: int, seed: int):
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    gamed = rng.random(n) < 0.5
    if check == "judge":
        m, p = rng.integers(0, 20, n), rng.integers(0, 2000, n)
        ll = 5 + 0.1 * (p % 7) + 0.05 * m + rng.normal(0, 0.4, n)
        q = 0.1 * m + 0.2 * (p % 5) + rng.normal(0, 0.5, n)
        return pl.DataFrame({"model": m.astype(str), "prompt": p.astype(str), "length": np.exp(ll).round().astype(np.int32),
                             "judge_score": q + 0.3 * gamed * (ll - 5) + rng.normal(0, 0.5, n),
                             "human_score": q + rng.normal(0, 0.2, n), "run": np.where(gamed, "gamed", "honest")})
    if check == "pairs":
        ma, mb, p = rng.integers(0, 10, n), rng.integers(0, 10, n), rng.integers(0, 200, n)
        la, lb = rng.normal(5, 0.5, n) + 0.05 * ma, rng.normal(5, 0.5, n) + 0.05 * mb
        z = 0.1 * (ma - mb) + 0.8 * gamed * (la - lb)
        human = (rng.random(n) < 1 / (1 + np.exp(-0.1 * (ma - mb)))).astype(np.float64)
        return pl.DataFrame({"model_a": ma.astype(str), "model_b": mb.astype(str), "prompt": p.astype(str),
                             "len_a": np.exp(la).round().astype(np.int32), "len_b": np.exp(lb).round().astype(np.int32),
                             "judge_prefers_a": (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.float64),
                             "human_prefers_a": human, "run": np.where(gamed, "gamed", "honest")})
    if check == "self":
        q = rng.normal(0, 1, n)
        indep = np.clip(np.round(6 + 1.6 * q + rng.normal(0, 0.8, n)), 1, 10)
        self_ = np.clip(np.round(6 + 1.6 * q + rng.normal(0, 0.9, n) + 0.6 * gamed), 1, 10)
        return pl.DataFrame({"self_score": self_.astype(np.int8), "independent_score": indep.astype(np.int8),
                             "run": np.where(gamed, "gamed", "honest")})
    if check == "sessions":
        turns = 250   # long episodes: SG809's cost is a test per session
        sid = np.arange(n) // turns + seed * (n // turns + 1)
        t = np.arange(n) % turns
        loop = (sid % 4 == 0)   # a quarter of the sessions game the visible tests (all in group gamed)
        prog = t / turns
        hidden = prog * np.where(loop, -0.4, 1.0) + rng.normal(0, 0.1, n)
        return pl.DataFrame({"session": sid, "turn": t, "visible_tests": prog + rng.normal(0, 0.1, n),
                             "hidden_tests": hidden, "run": np.where(sid % 4 < 2, "gamed", "honest")})
    k = rng.integers(5, 40, n)
    vocab = np.array(WORDS)
    # outputs: words of the vocabulary; the gamed half stuffs one keyword and scores higher for it
    idx = rng.integers(0, len(vocab), (n, 40))
    stuffed = gamed & (rng.random(n) < 0.3)
    idx[stuffed, ::2] = 12   # "refund"
    words = vocab[idx]
    text = [" ".join(w[:c]) for w, c in zip(words, k)]
    truth = rng.normal(0, 1, n) + 0.02 * k
    return pl.DataFrame({"output": text, "rouge1": truth + 1.5 * stuffed + rng.normal(0, 0.5, n),
                         "faithfulness": truth, "run": np.where(gamed, "gamed", "honest")})


def make(check: str, rows: int, shards: int, fmt: str = "parquet") -> Path:
    """The log's shards (written apart, see `monitor_memory.written_apart`)."""
    return written_apart(OUT / f"monitor_check_{check}_{rows}_{shards}{'' if fmt == 'parquet' else '_' + fmt}",
                         _write, check, rows, shards, fmt)


def _write(check: str, rows: int, shards: int, fmt: str, d: Path) -> None:
    d.mkdir(parents=True, exist_ok=True)
    per = rows // shards
    for i in range(shards):
        df = _frame(check, per if i < shards - 1 else rows - per * (shards - 1), i)
        getattr(df, {"parquet": "write_parquet", "csv": "write_csv", "jsonl": "write_ndjson"}[fmt])(d / f"part-{i:02d}.{fmt}")
    (d / ".complete").touch()
    return d


ARGS = {
    "judge": ["--proxy", "judge_score", "--truth", "human_score", "--length", "length", "--model", "model",
              "--prompt", "prompt"],
    "pairs": ["--proxy", "judge_prefers_a", "--truth", "human_prefers_a", "--pair-length-a", "len_a",
              "--pair-length-b", "len_b", "--pair-model-a", "model_a", "--pair-model-b", "model_b", "--prompt", "prompt"],
    "self": ["--self", "self_score", "--independent", "independent_score"],
    "sessions": ["--step", "turn", "--session", "session", "--proxy", "visible_tests", "--truth", "hidden_tests"],
    "text": ["--proxy", "rouge1", "--truth", "faithfulness", "--text", "output"],
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--shards", type=int, default=10)
    ap.add_argument("--check", choices=CHECKS, action="append")
    ap.add_argument("--engine", choices=["polars", "ray"], default="polars")
    ap.add_argument("--format", choices=["parquet", "csv", "jsonl"], default="parquet")
    a = ap.parse_args()
    if len(a.check or CHECKS) > 1:
        print("(the peak RSS of a check is exact only when it is the first one measured: run one --check per "
              "invocation for exact numbers)")
    for check in a.check or CHECKS:
        t0 = time.perf_counter()
        d = make(check, a.rows, a.shards, a.format)
        size = sum(p.stat().st_size for p in d.glob(f"*.{a.format}"))
        print(f"{check}: {a.rows:,} rows in {a.shards} {a.format} shards, {size / 2**30:.2f} GiB on disk "
              f"(ready in {time.perf_counter() - t0:.0f} s)", flush=True)
        wall, cpu, gib, code, rep, own = measure([str(d / f"*.{a.format}"), *ARGS[check], "--group", "run",
                                                  "--engine", a.engine])
        notes = " ".join(n["message"] for n in rep.get("summary", {}).get("notes", []))
        how = f"aggregates, {a.engine}" if "per-step aggregates" in notes else "every row loaded"
        fired = sorted({(f["rule_id"], f.get("group") or "overall") for f in rep.get("findings", [])})
        print(f"  monitor ({how}): {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {gib:.2f} GiB (own process "
              f"{own:.2f}), exit {code}, fired: {', '.join(f'{r} {g}' for r, g in fired) or 'none'}", flush=True)


if __name__ == "__main__":
    main()
