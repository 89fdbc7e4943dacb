"""Each check on seeded honest and gamed logs: silent on honest runs, fires on gamed ones, and reports
its statistics. Expected values are directional or computed independently here, never constants."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats as st

from specgap.monitor import synth

from .conftest import fired

DIV = ("--step", "step", "--proxy", "reward_model", "--truth", "gold_reward")


@pytest.mark.parametrize("seed", [11, 12])
def test_honest_training_run_is_clear(invoke, seed):
    code, rep, _ = invoke(synth.training_run(seed, 0.0), *DIV, "--length", "length")
    assert code == 0, rep["findings"]
    assert rep["findings"] == []
    assert {c["rule_id"] for c in rep["summary"]["checks"]} >= {"SG801", "SG803", "SG804"}


def test_overoptimized_run_reports_divergence_peak_and_onset(invoke):
    df = synth.training_run(21, 1.0, steps=150)
    code, rep, _ = invoke(df, *DIV)
    assert code == 1
    (div,) = fired(rep, "SG801")
    s = div["stats"]
    assert s["proxy_gain"] > 0 and s["truth_gain"] < s["proxy_gain"]
    assert s["p_adjusted"] < rep["summary"]["alpha"] and s["n"] == df.height
    # the truth's own mean actually fell after the reported peak
    (peak,) = fired(rep, "SG802")
    p_step = peak["stats"]["peak_step"]
    means = df.group_by("step").agg(pl.col("gold_reward").mean()).sort("step")
    before = means.filter(pl.col("step") <= p_step)["gold_reward"].tail(10).mean()
    end = means["gold_reward"].tail(10).mean()
    assert end < before
    # the finding points at the step and at rows of the log, never at a "line" that is really a step
    assert peak["line"] == 0 and peak["stats"]["step"] == p_step
    first, last = peak["stats"]["rows"]
    steps = df["step"].to_list()
    assert steps[first - 1] >= p_step > steps[first - 2] and last == df.height
    assert f"step {int(p_step)}, rows {first:,}-{last:,}" in peak["message"]
    assert s["onset_step"] is not None and df["step"].min() < s["onset_step"] < df["step"].max()
    assert fired(rep, "SG803")


def test_divergence_evidence_is_stronger_for_stronger_gaming(invoke):
    ps = []
    for strength in (0.3, 0.6, 1.0):
        _, rep, _ = invoke(synth.training_run(31, strength), *DIV)
        (c,) = [c for c in rep["summary"]["checks"] if c["rule_id"] == "SG801"]
        ps.append(c["p_value"])
    assert ps[0] > ps[1] > ps[2]


def test_length_bias_fires_and_lc_scores_undo_the_padding(invoke):
    df = synth.judge_run(41, 1.0, n=900)
    code, rep, _ = invoke(df, "--proxy", "judge_score", "--truth", "human_score", "--text", "output",
                          "--group", "model", suffix=".parquet")
    assert code == 1
    (lb,) = fired(rep, "SG804")
    # independent check of the partial correlation: residuals of judge and log length on human score
    words = np.array([len(t.split()) for t in df["output"]], float)
    h = df["human_score"].to_numpy()
    X = np.column_stack([np.ones(len(h)), h])
    res = lambda v: v - X @ np.linalg.lstsq(X, v, rcond=None)[0]  # noqa: E731
    r = np.corrcoef(res(df["judge_score"].to_numpy()), res(np.log1p(words)))[0, 1]
    assert lb["stats"]["effect"] == pytest.approx(r, abs=0.02)
    lc = lb["stats"]["length_controlled"]
    # the padding model gains most from raw scores: length control lowers it relative to the others
    raw_gap = lc["model-c"][0] - lc["model-a"][0]
    lc_gap = lc["model-c"][1] - lc["model-a"][1]
    assert lc_gap < raw_gap
    assert {f.get("group") for f in rep["findings"] if f["rule_id"] == "SG804"} >= {None, "model-c"}


def test_honest_judges_fire_no_more_often_than_alpha_allows(invoke):
    """Any single honest run may fire with probability alpha, so judge a batch: the count of runs with a
    finding must be plausible under Binomial(runs, alpha) (upper 0.1% quantile)."""
    runs, alpha = 20, 0.01
    hits = 0
    for seed in range(40, 40 + runs):
        _, rep, _ = invoke(synth.judge_run(seed, 0.0, n=600), "--proxy", "judge_score", "--truth", "human_score",
                           "--text", "output")
        hits += bool(rep["findings"])
    assert hits <= st.binom.ppf(0.999, runs, alpha)


def test_pairwise_length_bias(invoke):
    code, rep, _ = invoke(synth.pairwise_run(51, 1.0), "--proxy", "judge_prefers_a", "--truth", "human_prefers_a",
                          "--pair-length-a", "len_a", "--pair-length-b", "len_b")
    assert code == 1
    (f,) = fired(rep, "SG804")
    assert f["stats"]["odds_ratio_per_doubling"] > 1
    _, rep0, _ = invoke(synth.pairwise_run(52, 0.0), "--proxy", "judge_prefers_a", "--truth", "human_prefers_a",
                        "--pair-length-a", "len_a", "--pair-length-b", "len_b")
    assert rep0["findings"] == []


def test_self_inflation_with_interval_kappa_and_drivers(invoke):
    df = synth.self_eval_run(61, 1.0)
    code, rep, _ = invoke(df, "--self", "self_score", "--independent", "independent_score", "--text", "answer")
    assert code == 1
    (f,) = fired(rep, "SG805")
    diff = (df["self_score"] - df["independent_score"]).to_numpy()
    s = f["stats"]
    assert s["mean_inflation"] == pytest.approx(diff.mean())
    assert s["ci"][0] < diff.mean() < s["ci"][1]
    assert s["p_value"] == pytest.approx(st.wilcoxon(diff, alternative="greater").pvalue)
    assert -1 <= s["kappa"] < 1
    assert s["predictors"]["confident wording"]["r"] > 0
    _, rep0, _ = invoke(synth.self_eval_run(62, 0.0), "--self", "self_score", "--independent", "independent_score")
    assert rep0["findings"] == []


def test_flags_everything_and_passes_everything(invoke):
    df = synth.classifier_run(71, 1.0)
    code, rep, _ = invoke(df, "--step", "step", "--pred", "flagged", "--label", "harmful")
    assert code == 1
    (f,) = fired(rep, "SG806")
    s = f["stats"]
    assert s["flag_rate"] == pytest.approx(df["flagged"].mean())
    assert s["base_rate"] == pytest.approx(df["harmful"].mean())
    assert s["flags_all_since_step"] is not None and "everything" in f["message"]
    assert not fired(rep, "SG807")
    code, rep, _ = invoke(synth.classifier_run(72, 1.0, mirror=True), "--step", "step", "--pred", "flagged",
                          "--label", "harmful")
    (f,) = fired(rep, "SG807")
    assert not fired(rep, "SG806")
    assert f["stats"]["passes_all_since_step"] is not None and f["severity"] == "high"


def test_milder_overflagging_is_reported_with_specificity(invoke):
    code, rep, _ = invoke(synth.classifier_run(73, 0.35, n=4000), "--pred", "flagged", "--label", "harmful")
    (f,) = fired(rep, "SG806")
    assert "over-flags" in f["message"]
    assert f["stats"]["flag_rate"] > f["stats"]["base_rate"]
    assert f["stats"]["specificity"] < 1


def test_degenerate_text_under_rouge(invoke):
    df = synth.summary_run(81, 0.3)
    code, rep, _ = invoke(df, "--proxy", "rouge1", "--text", "output", suffix=".jsonl")
    (f,) = fired(rep, "SG808")
    assert f["stats"]["examples"] and f["stats"]["degenerate_top"] / f["stats"]["top"] > \
        f["stats"]["degenerate_rest"] / f["stats"]["rest"]
    _, rep0, _ = invoke(synth.summary_run(82, 0.0), "--proxy", "rouge1", "--text", "output", suffix=".jsonl")
    assert not fired(rep0, "SG808")
    # with the truth given, high is judged relative to it; the stuffed outputs still stand out
    _, rept, _ = invoke(df, "--proxy", "rouge1", "--truth", "faithfulness", "--text", "output", suffix=".jsonl")
    assert fired(rept, "SG808")


_BENCH_WORDS = ("the model answers the question about refund policy and the customer gets a clear reply with "
                "dates amounts and steps to follow when the order arrives late or damaged").split()


def _bench_text_log(n: int, seed: int, length_effect: float, stuffed_share: float = 0.0) -> pl.DataFrame:
    """The shape of bench/monitor_checks_memory.py --check text: outputs of 5-39 random words of a small
    vocabulary (short ones often trip the on-its-face cut-offs: 3 of 10 words "the"), a truth that rises
    with the length, and a proxy that is the truth plus noise; stuffed outputs score 1.5 higher."""
    from specgap.monitor.load import ROW

    rng = np.random.default_rng(seed)
    k = rng.integers(5, 40, n)
    idx = rng.integers(0, len(_BENCH_WORDS), (n, 40))
    stuffed = rng.random(n) < stuffed_share
    idx[stuffed, ::2] = 12   # "refund"
    words = np.array(_BENCH_WORDS)[idx]
    truth = rng.normal(0, 1, n) + length_effect * k
    return pl.DataFrame({ROW: np.arange(1, n + 1), "output": [" ".join(w[:c]) for w, c in zip(words, k)],
                         "rouge1": truth + 1.5 * stuffed + rng.normal(0, 0.5, n), "faithfulness": truth})


@pytest.mark.parametrize("n, seed, length_effect", [
    # the percentile gap fired on these: Fisher p=0.0048 (20k); p=0.0035 on the bench's honest group at 500k
    # rows (a sample of 199,855) and p=0.0002 at 2.5M (199,314): noisy scores regress to the middle, so
    # degenerate outputs whose truth is genuinely lower got high percentile gaps
    (20_000, 0, 0.05),
    pytest.param(200_000, 1, 0.02, marks=pytest.mark.slow),
])
def test_degenerate_text_honest_metric_with_worse_degenerate_outputs_is_clear(n, seed, length_effect):
    from specgap.monitor import textgame

    honest = textgame.on_rows(_bench_text_log(n, seed, length_effect), "rouge1", "output", None, "faithfulness")
    (h,) = honest.hypotheses
    assert h.p >= 0.05, h.evidence
    # the degenerate outputs are worse on the truth here: that is what the old statistic mistook for gaming
    assert h.stats["degenerate_rest"] > 0
    gamed = textgame.on_rows(_bench_text_log(n, seed + 100, length_effect, 0.05), "rouge1", "output", None,
                             "faithfulness")
    (g,) = gamed.hypotheses
    assert g.p < 1e-10 and g.stats["effect"] > 0.5, g.evidence


def test_beyond_truth_is_unbiased_by_the_truth_and_unbent_by_flagged_gaming():
    from specgap.monitor.textgame import beyond_truth

    rng = np.random.default_rng(5)
    n = 50_000
    t = rng.normal(0, 1, n)
    s = t + rng.normal(0, 0.5, n)
    z = beyond_truth(s, t, np.ones(n, bool))
    assert abs(np.corrcoef(z, t)[0, 1]) < 0.02          # the percentile gap: about -0.2 here
    gap = (st.rankdata(s) - st.rankdata(t)) / n
    assert np.corrcoef(gap, t)[0, 1] < -0.1
    # a third of the outputs gamed (high score, low truth) and flagged: left out of the fit, the rest stay centred
    g = rng.random(n) < 0.33
    s2 = np.where(g, s + 2, s)
    z2 = beyond_truth(s2, t, ~g)
    assert abs(np.mean(z2[~g])) < 0.05 and np.mean(z2[g]) > 3
    # a discrete truth (ties across bins) and a constant truth
    td = rng.integers(1, 6, n).astype(float)
    assert np.isfinite(beyond_truth(td + rng.normal(0, 1, n), td, np.ones(n, bool))).all()
    assert np.isfinite(beyond_truth(rng.normal(0, 1, 100), np.ones(100), np.ones(100, bool))).all()


def test_in_session_feedback_loop(invoke):
    args = ("--step", "turn", "--session", "session", "--proxy", "visible_tests", "--truth", "hidden_tests")
    code, rep, _ = invoke(synth.session_run(91, 0.4), *args)
    (f,) = fired(rep, "SG809")
    assert f["stats"]["diverging"] and f["stats"]["sessions"] == 40
    _, rep0, _ = invoke(synth.session_run(92, 0.0), *args)
    assert not fired(rep0, "SG809")


@pytest.mark.parametrize("check,make,args", [
    ("SG805", lambda s: synth.self_eval_run(s, 0.0, n=200), ("--self", "self_score", "--independent", "independent_score")),
    ("SG806", lambda s: synth.classifier_run(s, 0.0, n=500), ("--pred", "flagged", "--label", "harmful")),
])
def test_false_alarm_rate_on_honest_runs_is_within_alpha(invoke, check, make, args):
    """At alpha=0.05, the share of 60 honest runs that fire stays within alpha plus 3 binomial SEs."""
    runs, alpha = 60, 0.05
    hits = 0
    for seed in range(1000, 1000 + runs):
        _, rep, _ = invoke(make(seed), *args, "--alpha", str(alpha))
        hits += bool(rep["findings"])
    assert hits / runs <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / runs)


def test_groups_run_per_group_and_overall(invoke):
    a = synth.training_run(101, 0.0).with_columns(pl.lit("honest").alias("model"))
    b = synth.training_run(102, 1.0).with_columns(pl.lit("gamed").alias("model"))
    _, rep, _ = invoke(pl.concat([a, b]), *DIV, "--group", "model")
    groups = {c["group"] for c in rep["summary"]["checks"]}
    assert groups == {"overall", "honest", "gamed"}
    assert fired(rep, "SG801", "gamed") and not fired(rep, "SG801", "honest")
    assert all("(group gamed)" in f["message"] for f in rep["findings"] if f.get("group") == "gamed")


def test_pairwise_reads_alpacaeval_style_1_2_coding_and_text_columns(invoke):
    df = synth.pairwise_run(53, 1.0, n=600)
    args = ("--pair-length-a", "len_a", "--pair-length-b", "len_b")
    _, rep01, _ = invoke(df, "--proxy", "judge_prefers_a", "--truth", "human_prefers_a", *args)
    coded = df.with_columns((2 - pl.col("judge_prefers_a")).alias("preference"),
                            (2 - pl.col("human_prefers_a")).alias("human_preference"))
    _, rep12, _ = invoke(coded, "--proxy", "preference", "--truth", "human_preference", *args)
    (a,), (b,) = fired(rep01, "SG804"), fired(rep12, "SG804")
    assert a["stats"]["odds_ratio_per_doubling"] == pytest.approx(b["stats"]["odds_ratio_per_doubling"])
    assert any("2 - value" in n["message"] for n in rep12["summary"]["notes"])
    rng = np.random.default_rng(0)
    texts = df.with_columns(pl.Series("out_a", [synth.text(rng, max(1, int(n) // 60)) for n in df["len_a"]]),
                            pl.Series("out_b", [synth.text(rng, max(1, int(n) // 60)) for n in df["len_b"]]))
    _, rept, _ = invoke(texts, "--proxy", "judge_prefers_a", "--truth", "human_prefers_a",
                        "--pair-text-a", "out_a", "--pair-text-b", "out_b")
    assert fired(rept, "SG804")
