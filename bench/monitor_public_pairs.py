"""`specgap monitor`'s pairwise length check (SG804) on public per-item pairwise judgments. Prints numbers.

    python bench/monitor_public_pairs.py [--cache DIR]

Data (read from the cache, default ~/.cache/specgap-bench, or $SPECGAP_BENCH_CACHE; nothing is committed):

  JudgeBench (Tan et al., 2024; ScalerLab/JudgeBench on GitHub, read at commit e2c52c2). 350 pairs of
  GPT-4o answers to hard questions (MMLU-Pro, LiveBench, LiveCodeBench) where one answer is right and
  the other wrong (the `label`), each judged twice with the answers' order swapped, by LLM judges
  (Arena-Hard's prompt) and reward models:
      git clone https://github.com/ScalerLab/JudgeBench DIR/JudgeBench
  (files used: outputs/*.jsonl; a judge whose file is missing or not downloaded is skipped.)

Each judgment is one row in the order the judge saw the answers: the proxy is "the first answer
preferred" (1, 0, or 0.5 for a tie), the truth is "the first answer is the right one", the lengths are
the two answers' word counts, and the pair is the prompt (its two orders share it). With the truth
given, SG804 asks whether the judge prefers the longer answer beyond what correctness prefers (the
right answer may well be longer); the finding is at full confidence. Printed per judge: the judge's
and the truth's log-odds per log length ratio, the judge's accuracy, how often it chose the longer
answer, and whether SG804 fired. AlpacaEval's annotations are not used (they are kept for evaluation).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from specgap.cli import main
from specgap.monitor.command import monitor

OUT = Path(__file__).resolve().parent / "out"


def _choice(decision: str | None) -> float | None:
    """Arena-Hard style verdicts: A>B, A>>B -> 1; B>A, B>>A -> 0; A=B -> 0.5; anything else is missing."""
    if not decision:
        return None
    if re.fullmatch(r"A>>?B", decision):
        return 1.0
    if re.fullmatch(r"B>>?A", decision):
        return 0.0
    return 0.5 if decision in {"A=B", "B=A"} else None


def judgebench(path: Path) -> pl.DataFrame:
    """One row per judgment, in the order the judge saw the answers (the second judgment swaps them)."""
    rows = []
    for line in path.read_text().splitlines():
        pair = json.loads(line)
        judgments = pair["judgments"]
        if isinstance(judgments, str):
            judgments = ast.literal_eval(judgments)
        a, b = pair["response_A"] or "", pair["response_B"] or ""
        truth_a = {"A>B": 1.0, "B>A": 0.0}.get(pair["label"])
        for i, j in enumerate(judgments or []):
            first, second = (a, b) if i == 0 else (b, a)
            rows.append({"pair": pair["pair_id"], "source": str(pair.get("source", "")).split("-")[0],
                         "order": i, "judge_prefers_first": _choice((j or {}).get("decision")),
                         "first_is_right": None if truth_a is None else (truth_a if i == 0 else 1 - truth_a),
                         "words_first": len(first.split()), "words_second": len(second.split())})
    return pl.DataFrame(rows)


def run(df: pl.DataFrame, name: str) -> dict:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"judgebench_{name}.csv"
    df.write_csv(path)
    if "monitor" not in main.commands:
        main.add_command(monitor)
    res = CliRunner().invoke(main, ["monitor", str(path), "--proxy", "judge_prefers_first", "--truth",
                                    "first_is_right", "--pair-length-a", "words_first", "--pair-length-b",
                                    "words_second", "--prompt", "pair", "--format", "json"])
    return json.loads(res.stdout) if res.exit_code in (0, 1) else {"error": res.output[-500:]}


def main_() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("SPECGAP_BENCH_CACHE",
                                                                      Path.home() / ".cache" / "specgap-bench")))
    a = ap.parse_args()
    files = sorted((a.cache / "JudgeBench" / "outputs").glob("*.jsonl"))
    if not files:
        sys.exit(f"no JudgeBench outputs under {a.cache / 'JudgeBench'}: see this file's docstring")
    print("JudgeBench: pairwise judgments of a right and a wrong answer, both orders; SG804 with the truth")
    print(f"{'judge (answers by)':56} {'n':>4} {'acc':>5} {'longer':>6} {'r_len':>6} {'p':>8}  SG804")
    for f in files:
        meta = dict(kv.split("=", 1) for kv in f.stem.split(","))
        name = f"{meta['judge_model']} ({meta['response_model'].split('-2024')[0]})"
        df = judgebench(f)
        rep = run(df, re.sub(r"\W+", "_", name))
        if "error" in rep:
            print(f"{name:56} error: {rep['error']}")
            continue
        d = df.drop_nulls(["judge_prefers_first", "first_is_right"])
        acc = float((d["judge_prefers_first"].round() == d["first_is_right"]).mean())
        dl = d["words_first"] - d["words_second"]
        chose = pl.when(dl > 0).then(d["judge_prefers_first"]).otherwise(1 - d["judge_prefers_first"])
        longer = float(d.select(chose.filter(dl != 0).mean()).item())
        check = next((c for c in rep["summary"]["checks"] if c["rule_id"] == "SG804"), None)
        if check is None:
            notes = "; ".join(n["message"] for n in rep["summary"]["notes"] if n["rule_id"] == "SG804")
            print(f"{name:56} {d.height:4d} not tested: {notes}")
            continue
        f804 = next((x for x in rep["findings"] if x["rule_id"] == "SG804"), None)
        print(f"{name:56} {d.height:4d} {acc:5.1%} {longer:6.1%} {check['effect']:+6.3f} {check['p_value']:8.2g}  "
              f"{'fired (' + f804['severity'] + ', ' + f804['confidence'] + ')' if f804 else 'no'}")
        if f804:
            print(f"    {f804['evidence']}")
    print("acc: the judge's choice (ties as half) agrees with the right answer; longer: share of judgments "
          "that chose the longer answer; r_len: SG804's length effect (log-odds per doubling as a correlation), "
          "controlled for the truth and the pair")


if __name__ == "__main__":
    main_()
