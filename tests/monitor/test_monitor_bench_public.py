"""bench/monitor_public.py reads the publishers' per-item formats as they ship them (tiny copies made here)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("monitor_public", ROOT / "bench" / "monitor_public.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_wildbench_scores_one_log_per_judge(bench, tmp_path):
    d = tmp_path / "eval_results" / "v2" / "score.v2" / "eval=judge-x"
    d.mkdir(parents=True)
    (d / "model-a.json").write_text(json.dumps([
        {"session_id": "s1", "score": "7", "model_output": "four"},
        {"session_id": "s2", "score": "n/a", "model_output": "unparsed verdict: left out"},
        {"session_id": "s3", "score": "2", "model_output": ["two ", "parts"]},
        {"session_id": "s4", "score": 5, "model_output": None},
    ]))
    (sets,) = bench.wildbench(tmp_path).items()
    title, df = sets
    assert title == "WildBench v2 eval=judge-x"
    assert df.to_dicts() == [{"model": "model-a", "prompt": "s1", "judge_score": 7.0, "length": 4},
                             {"model": "model-a", "prompt": "s3", "judge_score": 2.0, "length": 9}]


def test_arena_bench_joins_judgments_to_answers_by_model_and_question(bench, tmp_path):
    d = tmp_path / "data" / "arena-bench-v1"
    (d / "model_answer").mkdir(parents=True)
    (d / "model_judgment").mkdir()
    (d / "model_answer" / "m7.jsonl").write_text(
        json.dumps({"question_id": "q1", "choices": [{"turns": ["abc", "de"]}]}) + "\n")
    # judgments name the model with its organisation; the file may be named otherwise
    (d / "model_judgment" / "judge_any.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"question_id": "q1", "model": "org/m7", "score": 6},
        {"question_id": "q2", "model": "org/m7", "score": 3},      # no answer: left out
        {"question_id": "q1", "model": "org/m7", "score": None},   # verdict not parsed: left out
    ]) + "\n")
    ((_, df),) = bench.arena_bench(tmp_path).items()
    assert df.to_dicts() == [{"model": "m7", "prompt": "q1", "judge_score": 6.0, "length": 5}]
