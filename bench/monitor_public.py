"""`specgap monitor`'s length-controlled judge analysis (SG804) on public per-item judge data. Prints numbers.

    python bench/monitor_public.py [--cache DIR] [--alpacaeval-wheel WHEEL]

Data (read from the cache, default ~/.cache/specgap-bench, or $SPECGAP_BENCH_CACHE; nothing is committed):

  WildBench v2 (Lin et al., 2024; allenai/WildBench on GitHub). Per task, a model's output and the
  judge's 1-10 "WB-Score" (GPT-4-Turbo and GPT-4o judges), plus the publishers' leaderboard tables,
  which carry Chatbot Arena Elo (human votes, hard-en) per model and their own length-penalised rewards:
      git clone https://github.com/allenai/WildBench DIR/WildBench    # read at commit d6b8dca
  (files used: eval_results/*/score.v2/eval=*/<model>.json and leaderboard/data_dir/all_stat_wildbench.*.json)

  Arena-Bench-V1 (LMSYS, the predecessor of Arena-Hard-Auto). 300 prompts, 15 models' answers, GPT-4's
  1-10 rating of each against a GPT-4 reference answer:
      git clone https://github.com/lmarena/arena-hard-auto DIR/arena-hard-auto
      git -C DIR/arena-hard-auto checkout 4a705dd    # data/arena-bench-v1 was removed later
  (Arena-Hard-Auto's own pairwise judgments, whose style control the maintainers published, live on a
  hub this machine cannot reach; its git history ships only these pointwise ones with both outputs.)

For each judge: the judge score is regressed on log output length with model and prompt fixed
effects (`--model --prompt`), so a model that is better and also longer is not called biased. Printed:
the pooled (uncontrolled) length slope, the controlled slope and its CI, raw vs length-controlled
means per model and how ranks move, and - as the external check - how well each order agrees with
Chatbot Arena Elo (human preference) where the publishers list it, and the rank moves the publishers'
own length penalty (WB-Reward at K=500 vs no penalty) makes. No truth column exists here, so each
finding carries the caveat that a longer answer of the same model to the same prompt may be better.

--alpacaeval-wheel: the older check on AlpacaEval's aggregate leaderboards (raw vs LC win rate per
model). Off by default: the alpaca-eval package also ships the per-item annotations that are kept
for evaluation, so it is not downloaded here; pass a wheel you already have.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
import time
import zipfile
from pathlib import Path

import polars as pl
from click.testing import CliRunner
from scipy import stats as st

from specgap.cli import main
from specgap.monitor.command import monitor

OUT = Path(__file__).resolve().parent / "out"
LOG2 = math.log(2)


def wildbench(root: Path) -> dict[str, pl.DataFrame]:
    """One log per (version, judge): model, prompt (session id), judge score, output length in characters."""
    sets: dict[str, pl.DataFrame] = {}
    for judge_dir in sorted(root.glob("eval_results/*/score.v2/eval=*")):
        rows = []
        for f in sorted(judge_dir.glob("*.json")):
            for r in json.loads(f.read_text()):
                out = r.get("model_output")
                out = "".join(out) if isinstance(out, list) else out
                try:
                    score = float(r.get("score"))
                except (TypeError, ValueError):
                    continue   # the judge's answer did not parse: no score to test
                if out is None:
                    continue
                rows.append({"model": f.stem, "prompt": r["session_id"], "judge_score": score, "length": len(out)})
        if rows:
            sets[f"WildBench {judge_dir.parts[-3]} {judge_dir.name}"] = pl.DataFrame(rows)
    return sets


def arena_bench(root: Path) -> dict[str, pl.DataFrame]:
    d = root / "data" / "arena-bench-v1"
    answers: dict[tuple[str, str], int] = {}
    for f in sorted((d / "model_answer").glob("*.jsonl")):
        for line in f.read_text().splitlines():
            r = json.loads(line)
            answers[(f.stem, r["question_id"])] = len("".join(r["choices"][0]["turns"]))
    rows = []
    for f in sorted((d / "model_judgment").glob("*.jsonl")):
        for line in f.read_text().splitlines():
            r = json.loads(line)
            model = str(r["model"]).split("/")[-1]
            n = answers.get((model, r["question_id"]))
            if r.get("score") is not None and n is not None:
                rows.append({"model": model, "prompt": r["question_id"], "judge_score": float(r["score"]), "length": n})
    return {"Arena-Bench-V1 GPT-4 judge (with reference)": pl.DataFrame(rows)} if rows else {}


def elo_and_penalty(root: Path) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Publishers' per-model facts: Arena Elo (hard-en), WB-Reward mix without and with the K=500 length penalty."""
    def load(k: str) -> dict[str, dict]:
        p = root / "leaderboard" / "data_dir" / f"all_stat_wildbench.{k}.json"
        return {m.lower(): v for m, v in json.loads(p.read_text()).items()} if p.exists() else {}
    raw, pen = load("-1"), load("500")
    elo = {m: float(v["Arena Elo (hard-en) - latest"]) for m, v in raw.items()
           if isinstance(v.get("Arena Elo (hard-en) - latest"), (int, float))}
    r0 = {m: float(v["mixture_of_rewards.K=-1"]) for m, v in raw.items() if "mixture_of_rewards.K=-1" in v}
    r1 = {m: float(v["mixture_of_rewards.K=500"]) for m, v in pen.items() if "mixture_of_rewards.K=500" in v}
    return elo, r0, r1


def publishers_table(root: Path, elo: dict[str, float], k0: dict[str, float], k1: dict[str, float]) -> None:
    """Facts from the publishers' own per-model table, for comparison with the per-item analysis below."""
    p = root / "leaderboard" / "data_dir" / "all_stat_wildbench.-1.json"
    if not p.exists():
        return
    t = {m.lower(): v for m, v in json.loads(p.read_text()).items()}
    ok = [m for m, v in t.items() if isinstance(v.get("WB_score"), (int, float)) and isinstance(v.get("Length"), (int, float))]
    print(f"## WildBench publishers' table: {len(ok)} models")
    print(f"   Spearman(WB-Score, mean output length) = "
          f"{st.spearmanr([t[m]['WB_score'] for m in ok], [t[m]['Length'] for m in ok])[0]:.2f} across models")
    h = [m for m in ok if m in elo]
    print(f"   Spearman(WB-Score, Arena Elo hard-en) = {st.spearmanr([t[m]['WB_score'] for m in h], [elo[m] for m in h])[0]:.2f} "
          f"over {len(h)} models; Spearman(mean length, Arena Elo) = "
          f"{st.spearmanr([t[m]['Length'] for m in h], [elo[m] for m in h])[0]:.2f}")
    both = [m for m in k0 if m in k1]
    r0, r1 = order({m: k0[m] for m in both}), order({m: k1[m] for m in both})
    moved = sum(r0[m] != r1[m] for m in both)
    print(f"   their length penalty (WB-Reward mix at K=500 vs none) changes the rank of {moved} of {len(both)} models "
          f"(Kendall tau {st.kendalltau([r0[m] for m in both], [r1[m] for m in both])[0]:.2f})")
    print()


def order(v: dict[str, float]) -> dict[str, int]:
    return {m: i + 1 for i, m in enumerate(sorted(v, key=lambda m: (-v[m], m)))}


def run_monitor(title: str, df: pl.DataFrame) -> tuple[dict, int, float, float]:
    OUT.mkdir(exist_ok=True)
    path = OUT / ("public_" + "".join(c if c.isalnum() else "_" for c in title) + ".parquet")
    df.write_parquet(path)
    t0, c0 = time.perf_counter(), time.process_time()
    res = CliRunner().invoke(main, ["monitor", str(path), "--proxy", "judge_score", "--length", "length",
                                    "--model", "model", "--prompt", "prompt", "--format", "json", "--audit-size", "3"])
    return json.loads(res.stdout), res.exit_code, time.perf_counter() - t0, time.process_time() - c0


def sg804(rep: dict) -> dict:
    return next((f.get("stats") or {} for f in rep["findings"] if f["rule_id"] == "SG804"), {})


def analyse(title: str, df: pl.DataFrame, elo: dict[str, float], rew: tuple[dict, dict]) -> None:
    rep, code, wall, cpu = run_monitor(title, df)
    print(f"## {title}: {df.height} judged outputs, {df['model'].n_unique()} models, "
          f"{df['prompt'].n_unique()} prompts (exit {code}; {wall:.1f} s wall, {cpu:.1f} s CPU)")
    d = df.with_columns(pl.col("length").log1p().alias("ll"))
    pooled = d.select(pl.cov("judge_score", "ll") / pl.col("ll").var()).item()
    per_model = d.group_by("model").agg(pl.col("judge_score").mean(), pl.col("ll").mean())
    between = per_model.select(pl.corr("judge_score", "ll")).item()
    print(f"   uncontrolled: {pooled * LOG2:+.3f} points per doubling of length (pooled OLS); "
          f"model means vs mean log length r={between:.2f}")
    checks = [c for c in rep["summary"]["checks"] if c["rule_id"] == "SG804"]
    finding = next((f for f in rep["findings"] if f["rule_id"] == "SG804"), None)
    stats = (finding or {}).get("stats") or {}
    for c in checks:
        print(f"   SG804 fired={c['fired']} partial r={c['effect']:.3f} n={c['n']} p={c['p_value']:.2g} "
              f"adjusted={c['p_adjusted']:.2g}")
    if finding:
        print(f"   -> [{finding['severity']}/{finding['confidence']}] {finding['evidence']}")
    for n in rep["summary"]["notes"]:
        if n.get("rule_id") == "SG804":
            print(f"   note: {n['message']}")
    # empty or cut-off answers are worse in fact, not through their length: the estimate without them
    short = df.filter(pl.col("length") < 100).height
    st2 = sg804(run_monitor(title + " 100+", df.filter(pl.col("length") >= 100))[0])
    if st2:
        print(f"   without the {short} outputs under 100 characters: {st2['per_doubling']:+.3f} per doubling "
              f"[{st2['per_doubling_ci'][0]:.3f}, {st2['per_doubling_ci'][1]:.3f}], partial r={st2['effect']:.3f}")
    raw, ctl = stats.get("by_model_raw"), stats.get("by_model_length_controlled")
    if not raw or not ctl:
        return
    r0, r1 = order(raw), order(ctl)
    mlen = dict(per_model.select("model", pl.col("ll").exp()).iter_rows())
    print(f"   {'model':<34}{'geo-mean chars':>15}{'raw':>7}{'ctl':>7}{'rank':>9}")
    for m in sorted(ctl, key=lambda m: r1[m]):
        print(f"   {m:<34}{mlen[m]:>15.0f}{raw[m]:>7.2f}{ctl[m]:>7.2f}{r0[m]:>5}->{r1[m]:<3}")
    print(f"   Kendall tau raw vs controlled order: {stats.get('rank_tau', float('nan')):.2f}")
    hum = [m for m in raw if m.lower() in elo]
    if len(hum) >= 4:
        e = [elo[m.lower()] for m in hum]
        s_raw = st.spearmanr([raw[m] for m in hum], e)[0]
        s_ctl = st.spearmanr([ctl[m] for m in hum], e)[0]
        print(f"   vs Chatbot Arena Elo (hard-en, {len(hum)} models the publishers list): "
              f"Spearman raw {s_raw:.2f}, length-controlled {s_ctl:.2f}")
    k0, k1 = rew
    pub = [m for m in raw if m.lower() in k0 and m.lower() in k1]
    if len(pub) >= 4:
        p0 = order({m: k0[m.lower()] for m in pub})
        p1 = order({m: k1[m.lower()] for m in pub})
        o0, o1 = order({m: raw[m] for m in pub}), order({m: ctl[m] for m in pub})
        moved = lambda a, b: ", ".join(f"{m} #{a[m]}->#{b[m]}" for m in pub if a[m] != b[m]) or "none"
        print(f"   publishers' length penalty (WB-Reward mix, K=500 vs none) among these {len(pub)} models: {moved(p0, p1)}")
        print(f"   ours (WB-Score, controlled vs raw) among the same models: {moved(o0, o1)}")


def alpacaeval_boards(whl: Path) -> None:
    boards = {"AlpacaEval 2 (weighted GPT-4 Turbo judge)":
              "alpaca_eval/leaderboards/data_AlpacaEval_2/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv",
              "AlpacaEval 1 (GPT-4 judge)": "alpaca_eval/leaderboards/data_AlpacaEval/alpaca_eval_gpt4_leaderboard.csv"}
    with zipfile.ZipFile(whl) as z:
        for title, member in boards.items():
            df = pl.read_csv(io.BytesIO(z.read(member))).rename({"": "model"})
            df = df.drop_nulls(["win_rate", "length_controlled_winrate", "avg_length"])
            path = OUT / (Path(member).stem + ".csv")
            OUT.mkdir(exist_ok=True)
            df.write_csv(path)
            res = CliRunner().invoke(main, ["monitor", str(path), "--proxy", "win_rate", "--truth",
                                            "length_controlled_winrate", "--length", "avg_length", "--format", "json",
                                            "--audit-size", "5"])
            rep = json.loads(res.stdout)
            print(f"## {title} leaderboard: {df.height} models (exit {res.exit_code})")
            for c in rep["summary"]["checks"]:
                print(f"   {c['rule_id']} fired={c['fired']} effect={c['effect']:.3f} n={c['n']} p={c['p_value']:.2g}")


def main_() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path,
                    default=Path(os.environ.get("SPECGAP_BENCH_CACHE", Path.home() / ".cache" / "specgap-bench")))
    ap.add_argument("--alpacaeval-wheel", type=Path)
    a = ap.parse_args()
    main.add_command(monitor)
    wb, ab = a.cache / "WildBench", a.cache / "arena-hard-auto"
    missing = [p for p in (wb, ab) if not p.is_dir()]
    for p in missing:
        print(f"missing {p}: see this file's docstring for how to get it", file=sys.stderr)
    elo, k0, k1 = elo_and_penalty(wb) if wb.is_dir() else ({}, {}, {})
    if wb.is_dir():
        publishers_table(wb, elo, k0, k1)
    sets = (wildbench(wb) if wb.is_dir() else {}) | (arena_bench(ab) if ab.is_dir() else {})
    for title, df in sets.items():
        analyse(title, df, elo, (k0, k1))
        print()
    if a.alpacaeval_wheel:
        alpacaeval_boards(a.alpacaeval_wheel)
    if not sets and not a.alpacaeval_wheel:
        sys.exit(2)


if __name__ == "__main__":
    main_()
