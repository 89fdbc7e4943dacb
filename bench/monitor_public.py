"""`specgap monitor` on real public evaluation data: AlpacaEval's bundled leaderboards. Prints numbers.

    python bench/monitor_public.py [PATH_TO_alpaca_eval_WHEEL]

The alpaca-eval wheel on PyPI ships its leaderboards (per model: judge win rate, average output
length, and the length-controlled win rate of Dubois et al., 2024). Without a path this downloads
the wheel with `pip download alpaca-eval==0.6.6 --no-deps` into bench/out/; nothing is committed.

Published finding to compare with: the GPT-4 judge's raw win rate rewards longer outputs, which is
why AlpacaEval 2 reports a length-controlled win rate. The length-bias check (SG804) should find
that the raw win rate pays for length beyond the length-controlled one, on both leaderboards.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from specgap.cli import main
from specgap.monitor.command import monitor

OUT = Path(__file__).resolve().parent / "out"
BOARDS = {
    "AlpacaEval 2 (weighted GPT-4 Turbo judge)":
        "alpaca_eval/leaderboards/data_AlpacaEval_2/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv",
    "AlpacaEval 1 (GPT-4 judge)": "alpaca_eval/leaderboards/data_AlpacaEval/alpaca_eval_gpt4_leaderboard.csv",
}


def wheel() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    d = OUT / "alpaca_eval"
    found = sorted(d.glob("alpaca_eval-*.whl")) if d.is_dir() else []
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "alpaca-eval==0.6.6", "--no-deps", "-q", "-d", str(d)],
                       check=True)
        found = sorted(d.glob("alpaca_eval-*.whl"))
    return found[-1]


def main_() -> None:
    whl = wheel()
    main.add_command(monitor)
    with zipfile.ZipFile(whl) as z:
        for title, member in BOARDS.items():
            df = pl.read_csv(io.BytesIO(z.read(member))).rename({"": "model"})
            df = df.drop_nulls(["win_rate", "length_controlled_winrate", "avg_length"])
            path = OUT / (Path(member).stem + ".csv")
            OUT.mkdir(exist_ok=True)
            df.write_csv(path)
            res = CliRunner().invoke(main, ["monitor", str(path), "--proxy", "win_rate", "--truth",
                                            "length_controlled_winrate", "--length", "avg_length", "--format", "json",
                                            "--audit-size", "5"])
            rep = json.loads(res.stdout)
            print(f"## {title}: {df.height} models (exit {res.exit_code})")
            r_raw = df.select(pl.corr("win_rate", pl.col("avg_length").log1p(), method="spearman")).item()
            r_lc = df.select(pl.corr("length_controlled_winrate", pl.col("avg_length").log1p(), method="spearman")).item()
            print(f"   Spearman with log length: raw win rate {r_raw:.2f}, length-controlled {r_lc:.2f}")
            for c in rep["summary"]["checks"]:
                print(f"   {c['rule_id']} fired={c['fired']} effect={c['effect']:.3f} n={c['n']} "
                      f"p={c['p_value']:.2g} adjusted={c['p_adjusted']:.2g}")
            for f in rep["findings"]:
                print(f"   -> {f['rule_id']} [{f['severity']}] {f['evidence']}")
            for n in rep["summary"]["notes"]:
                print(f"   note: {n['message']}")


if __name__ == "__main__":
    main_()
