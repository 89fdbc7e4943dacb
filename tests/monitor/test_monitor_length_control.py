"""SG804 with model and prompt terms: length bias without human labels, on seeded judge logs whose length
effect is known. Quality that goes with length between models or prompts must not be called bias."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from specgap.monitor import synth

from .conftest import fired

PAIR = ("--proxy", "judge_prefers_a", "--pair-length-a", "len_a", "--pair-length-b", "len_b")
CONTROLS = ("--pair-model-a", "model_a", "--pair-model-b", "model_b", "--prompt", "prompt")
POINT = ("--proxy", "judge_score", "--length", "length", "--model", "model", "--prompt", "prompt")


@pytest.mark.parametrize("seed", [1, 2])
def test_better_models_writing_longer_is_not_bias(invoke, seed):
    df = synth.arena_run(seed, bias=0.0)
    # the confound is real: without model and prompt terms the judge seems to pay for length
    _, naive, _ = invoke(df, *PAIR)
    assert fired(naive, "SG804")
    code, rep, _ = invoke(df, *PAIR, *CONTROLS)
    assert code == 0 and rep["findings"] == []


def test_pairwise_length_bias_without_truth_has_its_caveat(invoke):
    df = synth.arena_run(3, bias=0.6)
    _, rep, _ = invoke(df, *PAIR, *CONTROLS)
    (f,) = fired(rep, "SG804")
    s = f["stats"]
    # the seeded judge adds 0.6 log-odds per unit of log length ratio; unseen per-answer quality shrinks a
    # logistic coefficient towards 0, so the estimate lies between 0 and the seeded value
    lo, hi = s["log_odds_ci"]
    assert 0 < lo and s["log_odds_per_log_ratio"] < 0.6
    _, stronger, _ = invoke(synth.arena_run(3, bias=1.2), *PAIR, *CONTROLS)
    assert fired(stronger, "SG804")[0]["stats"]["log_odds_per_log_ratio"] > hi
    assert s["odds_ratio_per_doubling"] == pytest.approx(math.exp(s["log_odds_per_log_ratio"] * math.log(2)))
    assert f["confidence"] == "medium" and "Caveat" in f["evidence"] and s["caveat"]
    assert s["models"] == df["model_a"].n_unique() and s["prompts"] == df["prompt"].n_unique()
    # win rates per model, raw (observed) and at equal lengths, and how the ranking moves
    raw, ctl = s["by_model_raw"], s["by_model_length_controlled"]
    assert set(raw) == set(ctl) == set(df["model_a"]) | set(df["model_b"])
    m = "model-7"
    won = pl.concat([df.filter(pl.col("model_a") == m)["judge_prefers_a"],
                     1 - df.filter(pl.col("model_b") == m)["judge_prefers_a"]])
    assert raw[m] == pytest.approx(won.mean())
    # the most verbose model gains most from length: controlling takes away more of its win rate
    drop = {k: raw[k] - ctl[k] for k in raw}
    assert max(drop, key=drop.get) == m
    for move in s["rank_changes"]:
        assert move["raw_rank"] != move["controlled_rank"]


def test_pairwise_with_truth_is_full_confidence_and_spares_quality_that_grows_with_length(invoke):
    args = (*PAIR, *CONTROLS, "--truth", "human_prefers_a")
    _, rep, _ = invoke(synth.arena_run(4, bias=0.8), *args)
    (f,) = fired(rep, "SG804")
    assert f["confidence"] == "high" and "caveat" not in f["stats"]
    # longer answers really better within model and prompt: the humans prefer them too, so no bias
    code, honest, _ = invoke(synth.arena_run(5, bias=0.0, quality_length=0.8), *args)
    assert code == 0 and honest["findings"] == []


def test_pointwise_length_controlled_means(invoke):
    df = synth.scored_run(6, bias=0.3)
    _, rep, _ = invoke(df, *POINT)
    (f,) = fired(rep, "SG804")
    s = f["stats"]
    lo, hi = s["per_doubling_ci"]
    assert lo < 0.3 * math.log(2) < hi
    assert f["confidence"] == "medium" and s["caveat"]
    raw = df.group_by("model").agg(pl.col("judge_score").mean())
    assert s["by_model_raw"] == pytest.approx(dict(raw.iter_rows()))
    _, honest, _ = invoke(synth.scored_run(7, bias=0.0), *POINT)
    assert honest["findings"] == []
    _, grows, _ = invoke(synth.scored_run(8, bias=0.0, quality_length=0.8), *POINT, "--truth", "human_score")
    assert grows["findings"] == []


@pytest.mark.parametrize("seed", range(20, 23))
def test_honest_judge_rarely_fires(invoke, seed):
    """A false alarm rate near alpha on honest judges (a few seeds; bench/monitor_length_control.py runs more)."""
    _, rep, _ = invoke(synth.arena_run(seed, bias=0.0, n=1500), *PAIR, *CONTROLS)
    p = [c["p_value"] for c in rep["summary"]["checks"] if c["rule_id"] == "SG804"]
    assert len(p) == 1 and np.isfinite(p[0])
    assert rep["findings"] == []


TRUTH = ("--proxy", "judge_score", "--truth", "human_score", "--length", "length")


def test_a_stated_exact_truth_finds_a_small_bias_the_default_cannot(invoke):
    # the truth is quality itself and the judge is noisy; the judge adds a small length bonus
    df = synth.judge_run(7, 0.1, n=3000, with_text=False)
    _, default, _ = invoke(df, *TRUTH)
    # by default a noisier judge must go with length more than the truth does, which a small bonus cannot
    assert not fired(default, "SG804")
    (check,) = [c for c in default["summary"]["checks"] if c["rule_id"] == "SG804"]
    assert "pays no more for length than the truth" in check["reason"]
    _, stated, _ = invoke(df, *TRUTH, "--truth-reliability", "1")
    (f,) = fired(stated, "SG804")
    assert f["stats"]["truth_reliability"] == 1 and f["stats"]["p_judge_pays_more_than_truth"] is None
    assert "taken as 100% reliable" in f["evidence"]


@pytest.mark.parametrize("bias", [0.0, 0.15])
def test_stated_reliability_of_a_noisy_truth_corrects_for_its_noise(invoke, bias):
    df = synth.scored_run(11, bias, quality_length=0.8, n=4000)
    reliability = 1 - 0.2 ** 2 / df.get_column("human_score").var()   # the seeded label noise has SD 0.2
    _, exact, _ = invoke(df, *TRUTH, "--truth-reliability", "1")
    _, stated, _ = invoke(df, *TRUTH, "--truth-reliability", f"{reliability:.4f}")
    if bias == 0:
        # calling the noisy truth exact leaks quality into the length term; its stated noise takes it out
        assert fired(exact, "SG804") and not fired(stated, "SG804")
    else:
        # a real bonus is still found, smaller once the truth's noise no longer adds to it
        (f,) = fired(stated, "SG804")
        assert 0 < f["stats"]["per_doubling"] < fired(exact, "SG804")[0]["stats"]["per_doubling"]


@pytest.mark.parametrize("args, message", [
    ((*TRUTH, "--truth-reliability", "0"), "above 0 and at most 1"),
    ((*TRUTH, "--truth-reliability", "1.5"), "above 0 and at most 1"),
    # pairwise verdicts are fitted by a logistic model, which has no such correction
    (("--proxy", "judge_score", "--truth", "human_score", "--pair-length-a", "length", "--pair-length-b",
      "length", "--truth-reliability", "0.9"), "give --truth and --length or --text"),
])
def test_truth_reliability_usage_errors(invoke, args, message):
    df = synth.scored_run(1, 0.0, n=300)
    code, _, err = invoke(df, *args)
    assert code == 2 and message in err


@pytest.mark.parametrize("bias", [0.0, 0.1])
def test_stated_reliability_with_model_and_prompt_terms(invoke, bias):
    df = synth.scored_run(21, bias, quality_length=0.8, n=4000)
    reliability = 1 - 0.2 ** 2 / df.get_column("human_score").var()
    args = (*TRUTH, "--model", "model", "--prompt", "prompt")
    _, default, _ = invoke(df, *args)
    _, stated, _ = invoke(df, *args, "--truth-reliability", f"{reliability:.4f}")
    if bias == 0:
        assert not fired(default, "SG804") and not fired(stated, "SG804")
    else:
        # longer answers are really better here and the truth says so, noisily: the default's
        # comparison with the truth's own slope misses the small bonus, the stated noise does not
        assert not fired(default, "SG804")
        (f,) = fired(stated, "SG804")
        assert f["stats"]["truth_reliability"] == pytest.approx(reliability, abs=1e-4)


def test_truth_reliability_from_config(invoke, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[tool.specgap.monitor]\nproxy = "judge_score"\ntruth = "human_score"\nlength = "length"\n'
                   "truth-reliability = 1\n")
    df = synth.judge_run(7, 0.1, n=3000, with_text=False)
    _, rep, _ = invoke(df, "--config", str(cfg))
    assert fired(rep, "SG804")[0]["stats"]["truth_reliability"] == 1
    cfg.write_text('[tool.specgap.monitor]\ntruth-reliability = "high"\n')
    code, _, out = invoke(df, "--config", str(cfg))
    assert code == 2 and "truth-reliability must be a number" in out
