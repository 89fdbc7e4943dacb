"""SG804 with model and prompt terms on seeded judge logs whose length effect is known. Prints rates.

    python bench/monitor_length_control.py [--seeds 20]

For each scenario and each analysis (no controls; model and prompt terms; the same plus the truth),
the share of seeded logs where SG804 fires at alpha=0.01, and the median length effect. Scenarios:
  honest, confounded   better models write longer and prompts call for long answers; judge pays nothing
  length bias          the judge adds log-odds (or points) per unit of log length
  quality grows        longer answers from the same model to the same prompt really are better
"truth, reliability" states the truth's reliability (`--truth-reliability`), known here from the seeded
label noise; it must keep honest logs quiet while finding small biases that the default cannot.
Wanted: honest and quality-grows near 0 with controls and truth; length bias near 1 in every column.
Without truth, "quality grows" cannot be told from bias: that case is the stated caveat of the finding.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from specgap.monitor import synth
from specgap.monitor.run import run
from specgap.monitor.spec import Spec

PAIR = dict(proxy=["judge_prefers_a"], pair_length_a="len_a", pair_length_b="len_b")
PAIR_CTL = dict(pair_model_a="model_a", pair_model_b="model_b", prompt="prompt")
POINT = dict(proxy=["judge_score"], length="length")
POINT_CTL = dict(model="model", prompt="prompt")

SCENARIOS = {
    "pairwise": (synth.arena_run, {"honest, confounded": (0.0, 0.0), "length bias 0.5": (0.5, 0.0),
                                   "quality grows": (0.0, 0.8)},
                 {"no controls": PAIR, "model+prompt": {**PAIR, **PAIR_CTL},
                  "model+prompt+truth": {**PAIR, **PAIR_CTL, "truth": ["human_prefers_a"]}}),
    "pointwise": (synth.scored_run, {"honest, confounded": (0.0, 0.0), "length bias 0.1": (0.1, 0.0),
                                     "length bias 0.2": (0.2, 0.0), "quality grows": (0.0, 0.8),
                                     "grows + bias 0.1": (0.1, 0.8)},
                  {"no controls+truth": {**POINT, "truth": ["human_score"]},
                   # the seeded labels carry noise of SD 0.2: its share of their variance, as inter-annotator
                   # agreement would tell a user
                   "truth, reliability": lambda df: {**POINT, "truth": ["human_score"],
                                                     "truth_reliability": 1 - 0.04 / df["human_score"].var()},
                   "model+prompt": {**POINT, **POINT_CTL},
                   "model+prompt+truth": {**POINT, **POINT_CTL, "truth": ["human_score"]},
                   "m+p+truth, reliability": lambda df: {**POINT, **POINT_CTL, "truth": ["human_score"],
                                                         "truth_reliability": 1 - 0.04 / df["human_score"].var()}}),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--only", choices=list(SCENARIOS))
    a = ap.parse_args()
    d = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    for kind, (make, scenarios, analyses) in SCENARIOS.items():
        if a.only and kind != a.only:
            continue
        print(f"{kind} (n={a.n} per log, {a.seeds} seeds): fire rate at alpha=0.01 [median effect]")
        print(f"  {'scenario':<20}" + "".join(f"{name:>24}" for name in analyses))
        for label, (bias, ql) in scenarios.items():
            cells = []
            for name, kw in analyses.items():
                hits, effects = 0, []
                for seed in range(a.seeds):
                    path = d / f"{kind}.csv"
                    df = make(1000 + seed, bias, ql, n=a.n)
                    df.write_csv(path)
                    rep = run([str(path)], Spec(**(kw(df) if callable(kw) else kw)))
                    checks = [c for c in rep.checks if c["rule_id"] == "SG804"]
                    hits += any(c["fired"] for c in checks)
                    effects += [c["effect"] for c in checks if c["effect"] is not None]
                med = statistics.median(effects) if effects else float("nan")
                cells.append(f"{hits / a.seeds:>15.2f} [{med:+.3f}]")
            print(f"  {label:<20}" + "".join(cells))
        print()
    print(f"({time.perf_counter() - t0:.0f} s wall, {time.process_time():.0f} s CPU)")


if __name__ == "__main__":
    main()
