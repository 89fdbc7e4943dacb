"""The command: exit codes, bad input, configuration, outputs and the audit queue."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from specgap.monitor import synth

from .conftest import fired

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "specgap" / "examples" / "logs"
DIV = ("--step", "step", "--proxy", "reward_model", "--truth", "gold_reward")


def test_json_envelope_and_finding_fields(invoke):
    code, rep, _ = invoke(synth.training_run(5, 1.0), *DIV)
    assert code == 1
    assert set(rep) == {"tool", "version", "command", "findings", "summary", "errors"}  # the one envelope
    assert rep["tool"] == "specgap" and rep["command"] == "monitor"
    f = rep["findings"][0]
    for key in ("rule_id", "name", "kind", "severity", "confidence", "path", "line", "message", "evidence", "stats"):
        assert key in f
    assert f["path"].endswith("log.csv") and f["kind"] == "gaming"
    assert {"effect", "n", "p_value", "p_adjusted"} <= set(f["stats"])
    json.dumps(rep, allow_nan=False)  # strict JSON: no NaN leaks into the stats


@pytest.mark.parametrize("fail_on,expected", [("medium", 1), ("critical", 0)])
def test_fail_on(invoke, fail_on, expected):
    code, rep, _ = invoke(synth.training_run(6, 1.0), *DIV, "--fail-on", fail_on)
    assert rep["findings"] and all(f["severity"] != "critical" for f in rep["findings"])
    assert code == expected


def test_missing_column_is_a_usage_error(invoke):
    code, _, out = invoke(synth.training_run(7, 0.0), "--step", "step", "--proxy", "reward_model", "--truth", "nope")
    assert code == 2
    assert "missing column(s) nope" in out and "gold_reward" in out and "Traceback" not in out


@pytest.mark.parametrize("content,suffix", [
    (b"PAR1\x00\x01garbage", ".parquet"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", ".csv"),
    (b"", ".csv"),
])
def test_unreadable_files_exit_2_with_a_message(invoke, tmp_path, content, suffix):
    p = tmp_path / f"bad{suffix}"
    p.write_bytes(content)
    code, _, out = invoke(p, *DIV)
    assert code == 2 and "specgap monitor:" in out and "Traceback" not in out


def test_missing_file_and_unknown_format(invoke, tmp_path):
    assert invoke(tmp_path / "none.csv", *DIV)[0] == 2
    (tmp_path / "x.xlsx").write_text("a")
    code, _, out = invoke(tmp_path / "x.xlsx", *DIV)
    assert code == 2 and "unknown log format" in out


def test_usage_errors(invoke):
    df = synth.self_eval_run(8, 0.0, n=50)
    assert invoke(df, "--self", "self_score")[0] == 2            # --independent missing
    assert invoke(df, "--truth", "self_score")[0] == 2           # truth without proxy
    assert invoke(df, "--self", "self_score", "--independent", "independent_score", "--alpha", "2")[0] == 2


def test_malformed_jsonl_lines_and_non_numeric_values_are_skipped_and_noted(invoke, tmp_path):
    df = synth.training_run(9, 1.0)
    lines = [json.dumps(r) for r in df.to_dicts()]
    lines[3] = "{not json"
    lines[10] = json.dumps({**df.row(10, named=True), "reward_model": "n/a"})
    p = tmp_path / "log.jsonl"
    p.write_text("\n".join(lines) + "\n")
    code, rep, _ = invoke(p, *DIV)
    notes = " ".join(n["message"] for n in rep["summary"]["notes"])
    assert "malformed" in notes and "reward_model: 1 value(s) were not finite numbers" in notes
    assert rep["summary"]["rows"] == df.height - 1
    assert fired(rep, "SG801")


def test_csv_with_non_numeric_cells(invoke, tmp_path):
    df = synth.training_run(10, 0.0).with_columns(pl.col("gold_reward").cast(pl.Utf8))
    df = df.with_columns(pl.when(pl.int_range(pl.len()) % 97 == 0).then(pl.lit("oops"))
                         .otherwise(pl.col("gold_reward")).alias("gold_reward"))
    code, rep, _ = invoke(df, *DIV)
    assert code in (0, 1)
    bad = (df["gold_reward"] == "oops").sum()
    assert any(f"gold_reward: {bad} value(s)" in n["message"] for n in rep["summary"]["notes"])


def test_too_few_rows_cannot_conclude(invoke):
    df = synth.training_run(11, 1.0, steps=4, per_step=1)
    code, rep, _ = invoke(df, *DIV, "--length", "length")
    assert code == 0 and rep["findings"] == []
    notes = {n["rule_id"] for n in rep["summary"]["notes"]}
    assert {"SG801", "SG803", "SG804"} <= notes


def test_config_is_discovered_from_pyproject(invoke, tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.specgap.monitor]\nstep = "step"\nproxy = "reward_model"\ntruth = ["gold_reward"]\nalpha = 0.001\n')
    sub = tmp_path / "deep" / "er"
    sub.mkdir(parents=True)
    synth.training_run(12, 1.0).write_csv(sub / "run.csv")
    monkeypatch.chdir(sub)
    code, rep, _ = invoke(sub / "run.csv")
    assert code == 1 and rep["summary"]["alpha"] == 0.001 and fired(rep, "SG801")


def test_bad_config_is_a_usage_error(invoke, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[tool.specgap.monitor]\nproxi = "x"\n')
    code, _, out = invoke(synth.training_run(13, 0.0), "--config", str(cfg))
    assert code == 2 and "unknown key 'proxi'" in out


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_audit_queue_puts_the_largest_disagreement_first(invoke, tmp_path, suffix):
    df = synth.training_run(14, 1.0)
    out = tmp_path / f"audit{suffix}"
    invoke(df, *DIV, "--audit", str(out), "--audit-size", "25")
    q = pl.read_csv(out) if suffix == ".csv" else pl.read_ndjson(out)
    assert q.height == 25
    d = q["disagreement"].to_list()
    assert d == sorted(d, reverse=True)
    # independently: percentile of proxy minus percentile of truth, maximum over all rows
    n = df.height
    gap = (df["reward_model"].rank("average") - df["gold_reward"].rank("average")) / n
    assert d[0] == pytest.approx(gap.max())
    top = df.row(int(q["row"][0]) - 1, named=True)
    assert top["reward_model"] == pytest.approx(q["reward_model"][0])


def test_globs_read_several_files(invoke, tmp_path):
    for i in range(3):
        synth.training_run(20 + i, 1.0, steps=50).write_csv(tmp_path / f"part{i}.csv")
    code, rep, _ = invoke(str(tmp_path / "part*.csv"), *DIV)
    assert rep["summary"]["rows"] == 3 * 50 * 10


def test_text_output_names_findings_steps_and_rows(invoke):
    code, _, out = invoke(synth.training_run(15, 1.0), *DIV, fmt="text")
    assert code == 1 and "SG801 proxy-truth-divergence" in out and "findings" in out
    assert re.search(r"\[step \d+, rows [\d,]+-[\d,]+\]", out)
    assert "log.csv:" not in out    # a step or row is never shown as a line of the file


def test_version_labels_as_steps(invoke):
    df = synth.training_run(16, 1.0, steps=30)
    df = df.with_columns(("v" + (pl.col("step") // 10).cast(pl.Utf8)).alias("version"))
    code, rep, _ = invoke(df, "--step", "version", "--proxy", "reward_model", "--truth", "gold_reward")
    assert fired(rep, "SG801")


def test_command_import_is_cheap():
    code = ("import sys, specgap.monitor.command, specgap.cli; "
            "heavy = [m for m in ('polars', 'scipy', 'matplotlib', 'ruptures', 'numpy') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.strip() == ""


def test_monitor_rules_have_documentation_pages():
    from specgap.rules.catalog.monitor import MONITOR_RULES

    assert sorted(MONITOR_RULES) == [f"SG8{i:02d}" for i in range(1, 11)]
    for rule in MONITOR_RULES.values():
        doc = rule.doc()
        for section in ("What it does:", "Why is this bad:", "Example:", "Use instead:"):
            assert section in doc, (rule.id, section)


@pytest.mark.parametrize("name,args,rules", [
    ("honest_run.csv", DIV + ("--length", "length"), set()),
    ("overoptimized_run.jsonl", DIV, {"SG801"}),
    ("flag_everything.csv", ("--step", "step", "--pred", "flagged", "--label", "harmful"), {"SG806"}),
    ("length_biased_judge.parquet", ("--proxy", "judge_score", "--truth", "human_score", "--text", "output"), {"SG804"}),
    ("pairwise_judge.csv", ("--proxy", "judge_prefers_a", "--truth", "human_prefers_a", "--pair-length-a", "len_a",
                            "--pair-length-b", "len_b"), {"SG804"}),
    ("arena_judge.csv", ("--proxy", "judge_prefers_a", "--pair-length-a", "len_a", "--pair-length-b", "len_b",
                         "--pair-model-a", "model_a", "--pair-model-b", "model_b", "--prompt", "prompt"), {"SG804"}),
    ("self_eval.csv", ("--self", "self_score", "--independent", "independent_score"), {"SG805"}),
    ("summaries.jsonl", ("--proxy", "rouge1", "--text", "output"), {"SG808"}),
    ("agent_sessions.csv", ("--step", "turn", "--session", "session", "--proxy", "visible_tests", "--truth",
                            "hidden_tests"), {"SG809"}),
])
def test_bundled_examples(invoke, name, args, rules):
    code, rep, _ = invoke(EXAMPLES / name, *args)
    got = {f["rule_id"] for f in rep["findings"]}
    assert rules <= got and (rules or not got)
    assert code == (1 if rules else 0)


@pytest.mark.parametrize("content", [
    "step,reward_model,gold_reward\n",                                        # header only
    "step,reward_model,gold_reward\n" + "1,0.5,0.5\n" * 50,                   # constant metrics
    "step,reward_model,gold_reward\n" + "".join(f"{i},,\n" for i in range(50)),  # all missing
    "step,reward_model,gold_reward\n" + "".join(f"{i},x{i},y\n" for i in range(50)),  # all non-numeric
    "step,reward_model,gold_reward\n" + "".join(f"{i % 3},{i},{-i},extra\n" for i in range(50)),  # ragged rows
    "step;reward_model;gold_reward\n1;2;3\n",                                 # wrong separator
])
def test_odd_csvs_never_crash(invoke, tmp_path, content):
    p = tmp_path / "odd.csv"
    p.write_text(content)
    code, rep, out = invoke(p, *DIV, "--length", "gold_reward")
    assert code in (0, 1, 2) and "Traceback" not in out
    if code != 2:
        json.dumps(rep, allow_nan=False)


def test_nan_and_infinite_metrics_are_ignored_and_counted(invoke):
    df = synth.training_run(17, 1.0)
    vals = df["reward_model"].to_list()
    vals[5], vals[6] = float("inf"), float("nan")
    code, rep, _ = invoke(df.with_columns(pl.Series("reward_model", vals)), *DIV, suffix=".parquet")
    assert any("reward_model: 2 value(s) were not finite" in n["message"] for n in rep["summary"]["notes"])
    assert fired(rep, "SG801")
    json.dumps(rep, allow_nan=False)


@pytest.mark.parametrize("body,line,what", [
    ('step,reward_model,gold_reward\n1,0.5,0.4\n2,0.6,0.3\n3,"0.7,0.2\n4,0.8,0.1\n', 4, "not closed"),
    ('step,reward_model,gold_reward\n1,0.5,0.4\n2,"x"y,0.3\n', 3, "doubled"),
])
def test_malformed_csv_names_the_line_in_one_whole_sentence(invoke, tmp_path, body, line, what):
    p = tmp_path / "bad.csv"
    p.write_text(body)
    code, _, out = invoke(p, *DIV)
    assert code == 2 and f"line {line}:" in out and what in out and "Traceback" not in out
    msg = out.strip().splitlines()
    assert len(msg) == 1 and msg[0].count('"') % 2 == 0 and msg[0].count("`") % 2 == 0


def test_json_array_of_records_is_read(invoke, tmp_path):
    df = synth.arena_run(9, bias=0.0, n=400)
    p = tmp_path / "annotations.json"
    p.write_text(json.dumps(df.with_columns((2 - pl.col("judge_prefers_a")).alias("preference")).to_dicts(), indent=1))
    code, rep, _ = invoke(p, "--proxy", "preference", "--pair-length-a", "len_a", "--pair-length-b", "len_b",
                          "--pair-model-a", "model_a", "--pair-model-b", "model_b", "--prompt", "prompt")
    assert code in (0, 1) and rep["summary"]["rows"] == df.height
    assert [c["rule_id"] for c in rep["summary"]["checks"]] == ["SG804"]


def test_readme_monitor_examples_run_on_shipped_files(tmp_path, monkeypatch):
    """Every `specgap monitor` line of the README's monitor section, as written, on the bundled logs."""
    import shlex
    import shutil

    from click.testing import CliRunner

    from specgap.cli import main

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("## monitor", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = block.replace("\\\n", " ").splitlines()
    cmds = [shlex.split(line.split("#", 1)[0] if " # " in line else line) for line in lines
            if line.strip().startswith("specgap monitor")]
    assert len(cmds) >= 9
    work = tmp_path / "logs"
    shutil.copytree(EXAMPLES, work)
    monkeypatch.chdir(work)
    for cmd in cmds:
        res = CliRunner().invoke(main, cmd[1:], catch_exceptions=False)
        assert res.exit_code in (0, 1), (cmd, res.output[-500:])
    assert (work / "report.html").is_file() and (work / "audit.csv").is_file()
