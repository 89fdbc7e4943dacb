"""False-alarm and detection rates of the `specgap monitor` checks on seeded synthetic runs. Prints numbers.

    python bench/monitor_calibration.py [--honest 1000] [--gamed 100] [--only training judge ...] [--aggregates]

For each scenario: the share of honest runs (strength 0) in which each rule fired at the default
settings (alpha 0.01 family-wise, Holm across all tests of a run), and the share of gamed runs
that it caught, at graded strengths. "fail" counts only findings at or above the default
--fail-on (medium), i.e. runs where the command would exit 1.

Read the "honest" runs of each scenario as honest about what the scenario games; other rules may
fire on them for true reasons. In `summaries`, ROUGE-1 recall rises with output length while the
faithfulness score does not, so SG804 (length bias) fires on every run there: ROUGE recall does pay
for length.

--aggregates runs every log the way a log of hundreds of millions of rows runs: streamed aggregates,
pairwise length ratios binned, self-ratings from counts without row numbers (the thresholds that keep
small logs exact set to zero), so the rates are those of the large-log path.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from specgap.model import Severity
from specgap.monitor import synth
from specgap.monitor.run import run
from specgap.monitor.spec import Spec

SCENARIOS = {
    # name: (generator, spec, rules it targets)
    "training": (lambda s, g: synth.training_run(s, g),
                 Spec(step="step", proxy=["reward_model"], truth=["gold_reward"], length="length"),
                 ("SG801", "SG802", "SG803", "SG804")),
    "judge": (lambda s, g: synth.judge_run(s, g, n=600),
              Spec(proxy=["judge_score"], truth=["human_score"], text="output"), ("SG804", "SG810", "SG808")),
    # the same, stating that the truth is exact (it is quality itself here): the test of the length slope
    # alone, without also requiring the noisier judge to out-correlate the truth
    "judge-exact": (lambda s, g: synth.judge_run(s, g, n=600),
                    Spec(proxy=["judge_score"], truth=["human_score"], text="output", truth_reliability=1.0),
                    ("SG804",)),
    "pairwise": (lambda s, g: synth.pairwise_run(s, g),
                 Spec(proxy=["judge_prefers_a"], truth=["human_prefers_a"], pair_length_a="len_a",
                      pair_length_b="len_b"), ("SG804",)),
    "self": (lambda s, g: synth.self_eval_run(s, g),
             Spec(self_rating="self_score", independent="independent_score"), ("SG805",)),
    "flags": (lambda s, g: synth.classifier_run(s, g),
              Spec(step="step", pred="flagged", label="harmful"), ("SG806", "SG807")),
    "passes": (lambda s, g: synth.classifier_run(s, g, mirror=True),
               Spec(step="step", pred="flagged", label="harmful"), ("SG807", "SG806")),
    "summaries": (lambda s, g: synth.summary_run(s, g, n=400),
                  Spec(proxy=["rouge1"], truth=["faithfulness"], text="output"), ("SG808", "SG804")),
    "sessions": (lambda s, g: synth.session_run(s, g),
                 Spec(step="turn", session="session", proxy=["visible_tests"], truth=["hidden_tests"]),
                 ("SG809", "SG801", "SG803")),
}
STRENGTHS = (0.1, 0.25, 0.5, 1.0)


def per_step_run(seed: int, strength: float, n: int = 300) -> "pl.DataFrame":
    """One row per step with smoothed (AR(1)) metrics, as dashboards export them; gamed like training_run."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    s = np.arange(n) / (n - 1)
    late = np.maximum(0.0, s - 0.35)

    def ar(sd: float) -> np.ndarray:
        e = np.zeros(n)
        for i in range(1, n):
            e[i] = 0.6 * e[i - 1] + rng.normal(0, sd)
        return e

    truth = 0.6 * (1 - np.exp(-4 * s)) - strength * 1.2 * late + ar(0.1)
    proxy = 2 * truth + strength * 2.5 * late + ar(0.1)
    return pl.DataFrame({"step": np.arange(n), "proxy": proxy, "truth": truth})


SCENARIOS["per-step"] = (per_step_run, Spec(step="step", proxy=["proxy"], truth=["truth"]),
                         ("SG801", "SG802", "SG803"))


def rates(name: str, strength: float, runs: int, seed0: int, tmp: Path) -> tuple[Counter, Counter, Counter]:
    gen, spec, _ = SCENARIOS[name]
    fired, failing, any_rule = Counter(), Counter(), Counter()
    for seed in range(seed0, seed0 + runs):
        path = tmp / f"{name}.parquet"
        gen(seed, strength).write_parquet(path)
        rep = run([str(path)], spec)
        ids = {f.rule_id for f in rep.findings}
        fired.update(ids)
        failing.update({f.rule_id for f in rep.findings if f.severity >= Severity.MEDIUM})
        any_rule["any"] += bool(ids)
        any_rule["any_fail"] += any(f.severity >= Severity.MEDIUM for f in rep.findings)
    return fired, failing, any_rule


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--honest", type=int, default=1000)
    ap.add_argument("--gamed", type=int, default=100)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--aggregates", action="store_true", help="as large logs run: streamed, binned, from counts")
    a = ap.parse_args()
    if a.aggregates:
        from specgap.monitor import pairs, selfeval
        from specgap.monitor import run as run_mod

        run_mod.LARGE_ROWS = pairs.EXACT_ROWS = selfeval.EXACT_ROWS = selfeval.EXPAND_MAX = 0
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for name, (_, _, rules) in SCENARIOS.items():
            if a.only and name not in a.only:
                continue
            t = time.perf_counter()
            fired, failing, anyr = rates(name, 0.0, a.honest, 10_000, tmp)
            print(f"## {name}: {a.honest} honest runs ({time.perf_counter() - t:.0f}s)", flush=True)
            print(f"   false alarms, any rule: {anyr['any'] / a.honest:.2%} (exit 1: {anyr['any_fail'] / a.honest:.2%})")
            for r in sorted(set(fired) | set(rules)):
                print(f"   {r}: fired {fired[r] / a.honest:.2%}, at >= medium {failing[r] / a.honest:.2%}")
            for g in STRENGTHS:
                fired, failing, _ = rates(name, g, a.gamed, 20_000, tmp)
                hits = ", ".join(f"{r} {fired[r] / a.gamed:.0%} ({failing[r] / a.gamed:.0%} >= medium)" for r in rules)
                print(f"   strength {g}: detected {hits}", flush=True)


if __name__ == "__main__":
    main()
