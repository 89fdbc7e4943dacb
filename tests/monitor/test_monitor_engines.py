"""Logs of any size: the step checks on streamed per-step moments, on Ray shards, and on the rows agree."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from specgap.monitor import run as run_mod
from specgap.monitor import synth
from specgap.monitor.run import run
from specgap.monitor.spec import Spec

SPEC = Spec(step="step", proxy=["reward_model"], truth=["gold_reward"], group="model")
# every check that runs on per-step aggregates: SG801-SG803, SG804 (length given the truth), SG806/SG807
MIXED = Spec(step="step", proxy=["reward_model"], truth=["gold_reward"], length="length", pred="flagged",
             label="harmful", group="model")


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("shards")
    a = synth.training_run(41, 1.0).with_columns(pl.lit("gamed").alias("model"))
    b = synth.training_run(42, 0.0).with_columns(pl.lit("honest").alias("model"))
    df = pl.concat([a, b])
    for i, part in enumerate(df.iter_slices(df.height // 4 + 1)):
        part.write_parquet(d / f"part-{i:02d}.parquet")
    return d


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    """Two models: one whose reward model pays for length and whose moderator flags everything late in
    the run, one honest; written as four Parquet shards."""
    d = tmp_path_factory.mktemp("mixed")
    parts = []
    for seed, (name, s) in enumerate([("gamed", 1.0), ("honest", 0.0)]):
        run_ = synth.training_run(50 + seed, s)
        flags = synth.classifier_run(60 + seed, s, n=run_.height).select("flagged", "harmful")
        parts.append(pl.concat([run_, flags], how="horizontal").with_columns(
            (pl.col("reward_model") + s * 0.5 * pl.col("length").log()).alias("reward_model"),
            pl.lit(name).alias("model")))
    df = pl.concat(parts)
    for i, part in enumerate(df.iter_slices(df.height // 4 + 1)):
        part.write_parquet(d / f"part-{i:02d}.parquet")
    return d


def _checks(report) -> dict[tuple[str, str], tuple[float, bool]]:
    return {(c["rule_id"], c["group"]): (c["p_value"], c["fired"]) for c in report.checks}


def _same(a, b, at_least: int = 6) -> None:
    ca, cb = _checks(a), _checks(b)
    assert ca.keys() == cb.keys() and len(ca) >= at_least
    for k in ca:
        assert cb[k][0] == pytest.approx(ca[k][0], rel=1e-6, abs=1e-12), k
        assert cb[k][1] == ca[k][1], k
    assert [(f.rule_id, f.group, f.fingerprint, f.stats["rows"]) for f in a.findings] == \
        [(f.rule_id, f.group, f.fingerprint, f.stats["rows"]) for f in b.findings]


def _close(a, b, rel: float = 1e-6, path: str = "") -> None:
    """Equal structures with numbers equal up to `rel` (sums added in another order differ in the last bits)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for k in a:
            _close(a[k], b[k], rel, f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, rel, f"{path}[{i}]")
    elif isinstance(a, float) and not isinstance(b, bool):
        assert b == pytest.approx(a, rel=rel, abs=1e-12, nan_ok=True), path
    else:
        assert a == b, path


def test_streamed_moments_agree_with_the_rows(shards, monkeypatch):
    rows = run([str(shards / "*.parquet")], SPEC)
    assert "per-step aggregates" not in " ".join(n.message for n in rows.notes)
    monkeypatch.setattr(run_mod, "LARGE_ROWS", 100)
    streamed = run([str(shards / "*.parquet")], SPEC)
    assert any("per-step aggregates (polars)" in n.message for n in streamed.notes)
    assert streamed.rows == rows.rows and streamed.audit is None
    _same(rows, streamed)
    assert any(f.rule_id == "SG801" and f.group == "gamed" for f in streamed.findings)


@pytest.mark.parametrize("step, reliability", [("step", None), (None, None), ("step", 0.8)])
def test_every_aggregate_check_streamed_agrees_with_the_rows(mixed, monkeypatch, step, reliability):
    spec = Spec(**{**MIXED.__dict__, "step": step, "truth_reliability": reliability})
    rows = run([str(mixed / "*.parquet")], spec)
    monkeypatch.setattr(run_mod, "LARGE_ROWS", 100)
    streamed = run([str(mixed / "*.parquet")], spec)
    assert any("per-step aggregates (polars)" in n.message for n in streamed.notes)
    _same(rows, streamed)
    ran = {c["rule_id"] for c in streamed.checks}
    assert {"SG804", "SG806", "SG807"} <= ran and ({"SG801", "SG803"} <= ran) == (step is not None)
    gamed = {f.rule_id for f in streamed.findings if f.group == "gamed"}
    assert {"SG804", "SG806"} <= gamed
    assert not {f.rule_id for f in streamed.findings if f.group == "honest"} & {"SG804", "SG806", "SG807"}


def test_flag_counts_of_shards_add_up_to_the_whole(mixed):
    from specgap.monitor import aggregate
    from specgap.monitor.load import open_log

    lf = open_log([str(mixed / "*.parquet")], MIXED).frame
    whole = aggregate.flag_counts(lf, "flagged", "harmful", ["model"]).collect()
    # slices cut across steps, so a step's counts and its first/last false positive come from two parts
    parts = [aggregate.flag_counts(lf.slice(a, 777), "flagged", "harmful", ["model"]).collect()
             for a in range(0, whole.get_column("n").sum(), 777)]
    key = ["model", "__step"]
    assert aggregate.combine(parts, ["model"]).sort(key).equals(whole.sort(key))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_large_csv_and_jsonl_logs_are_read_in_batches_as_parquet_is(mixed, tmp_path, monkeypatch, fmt):
    """A large CSV or JSONL log (two files) is written once as Parquet and read in batches of rows: the same
    checks, findings and rows as the same log in Parquet shards."""
    df = pl.concat([pl.read_parquet(f) for f in sorted(mixed.glob("*.parquet"))])
    for i, part in enumerate(df.iter_slices(df.height // 2 + 1)):
        getattr(part, "write_csv" if fmt == "csv" else "write_ndjson")(tmp_path / f"log-{i}.{fmt}")
    monkeypatch.setattr(run_mod, "LARGE_ROWS", 100)
    monkeypatch.setattr(run_mod, "BATCH_ROWS", 250)
    batched: list[int] = []
    real = run_mod._batches
    monkeypatch.setattr(run_mod, "_batches", lambda *a: batched.append(len(b := real(*a))) or b)
    text = run([str(tmp_path / f"*.{fmt}")], MIXED)
    assert batched[-1] >= df.height // 250 and text.source == f"{tmp_path / f'log-0.{fmt}'} (+1 more)"
    parquet = run([str(mixed / "*.parquet")], MIXED)
    assert text.rows == parquet.rows == df.height
    _same(parquet, text)
    _close([f.stats for f in parquet.findings], [f.stats for f in text.findings])


def test_large_malformed_csv_still_names_the_line(tmp_path, monkeypatch):
    from specgap.monitor.load import LogError

    p = tmp_path / "bad.csv"
    good = "".join(f"{i},0.5,0.4\n" for i in range(1, 300))
    p.write_text("step,reward_model,gold_reward\n" + good + '300,"0.7,0.2\n301,0.8,0.1\n')
    monkeypatch.setattr(run_mod, "LARGE_ROWS", 100)
    with pytest.raises(LogError, match=r"line 301: a quoted field opens here and is not closed"):
        run([str(p)], Spec(step="step", proxy=["reward_model"], truth=["gold_reward"]))


def test_local_file_url_reads_like_a_path(shards):
    by_path = run([str(shards / "*.parquet")], SPEC)
    by_url = run([(shards / "x").as_uri()[:-1] + "*.parquet"], SPEC)
    _same(by_path, by_url)


@pytest.fixture(scope="module")
def local_ray():
    """One local 2-CPU Ray for this module's Ray tests: starting one costs seconds each time."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield ray
    ray.shutdown()


def test_ray_engine_agrees_with_polars(mixed, local_ray):
    on_ray = run([str(mixed / "*.parquet")], MIXED, engine="ray")
    assert any("(ray)" in n.message for n in on_ray.notes)
    assert {"SG801", "SG803", "SG804", "SG806", "SG807"} <= {c["rule_id"] for c in on_ray.checks}
    _same(run([str(mixed / "*.parquet")], MIXED), on_ray)


AUDIT = Spec(**{**SPEC.__dict__, "audit": "queue.csv", "audit_size": 40})


def test_audit_queue_from_shards_is_the_rows_queue(shards, monkeypatch):
    """The audit queue from the shards' tops and the combined value counts: the queue of the rows."""
    rows = run([str(shards / "*.parquet")], AUDIT)
    monkeypatch.setattr(run_mod, "LARGE_ROWS", 100)
    streamed = run([str(shards / "*.parquet")], AUDIT)
    assert streamed.audit is not None and streamed.audit.height == 40
    assert streamed.audit.equals(rows.audit)
    d = streamed.audit.get_column("disagreement").to_list()
    assert d == sorted(d, reverse=True) and d[0] > 0.5


def _sharded(tmp_path_factory, name: str, df: pl.DataFrame, parts: int = 3) -> str:
    d = tmp_path_factory.mktemp(name)
    for i, part in enumerate(df.iter_slices(df.height // parts + 1)):
        part.write_parquet(d / f"part-{i:02d}.parquet")
    return str(d / "*.parquet")


@pytest.fixture(scope="module")
def arena(tmp_path_factory) -> str:
    """Pairwise judges: one pays for length, one does not; models, prompts and human choices."""
    a = synth.arena_run(11, bias=0.8, n=1500, prompts=100).with_columns(pl.lit("biased").alias("judge"))
    b = synth.arena_run(12, bias=0.0, n=1500, prompts=100).with_columns(pl.lit("fair").alias("judge"))
    return _sharded(tmp_path_factory, "arena", pl.concat([a, b]))


@pytest.fixture(scope="module")
def rated(tmp_path_factory) -> str:
    """Self-ratings: one model inflates its own (more so for confident answers), one does not."""
    a = synth.self_eval_run(21, 0.6).with_columns(pl.lit("inflating").alias("rater"))
    b = synth.self_eval_run(22, 0.0).with_columns(pl.lit("calibrated").alias("rater"))
    return _sharded(tmp_path_factory, "rated", pl.concat([a, b]))


@pytest.fixture(scope="module")
def summaries(tmp_path_factory) -> str:
    """A text metric gamed by keyword stuffing in one run, honest in the other."""
    a = synth.summary_run(31, 0.3).with_columns(pl.lit("stuffed").alias("run"))
    b = synth.summary_run(32, 0.0).with_columns(pl.lit("honest").alias("run"))
    return _sharded(tmp_path_factory, "summaries", pl.concat([a, b]))


@pytest.fixture(scope="module")
def styled(tmp_path_factory) -> str:
    """A judge that pays for length and list formatting (SG804, SG810 from the text), grouped by model."""
    return _sharded(tmp_path_factory, "styled", synth.judge_run(35, 1.0))


@pytest.fixture(scope="module")
def sessions(tmp_path_factory) -> str:
    a = synth.session_run(33, 0.4).with_columns(pl.lit("looping").alias("agent"))
    b = synth.session_run(34, 0.0).with_columns(pl.lit("honest").alias("agent"), pl.col("session") + "b")
    return _sharded(tmp_path_factory, "sessions", pl.concat([a, b]))


@pytest.fixture(scope="module")
def judged(tmp_path_factory) -> str:
    """A pointwise judge that pays for length, with a quality truth, models, prompts and two groups."""
    a = synth.scored_run(8, bias=0.3).with_columns(pl.lit("biased").alias("judge"))
    b = synth.scored_run(9, bias=0.0).with_columns(pl.lit("fair").alias("judge"))
    return _sharded(tmp_path_factory, "judged", pl.concat([a, b]))


# the row-reading checks that now run on aggregates: SG804 with model and/or prompt terms (and the truth)
PAIRS = dict(proxy=["judge_prefers_a"], pair_length_a="len_a", pair_length_b="len_b", group="judge")
SELF = dict(self_rating="self_score", independent="independent_score", group="rater")
ROW_CHECKS = {
    "style": Spec(proxy=["judge_score"], truth=["human_score"], text="output", group="model"),
    "style+step": Spec(step="model", proxy=["judge_score"], truth=["human_score"], text="output"),
    "degenerate": Spec(proxy=["rouge1"], text="output", group="run"),
    "degenerate+style+truth": Spec(proxy=["rouge1"], truth=["faithfulness"], text="output", group="run"),
    "sessions": Spec(step="turn", session="session", proxy=["visible_tests"], truth=["hidden_tests"], group="agent"),
    "self": Spec(**SELF),
    "self+text": Spec(**SELF, text="answer"),
    "pairs": Spec(**PAIRS),
    "pairs+models+prompt": Spec(**PAIRS, pair_model_a="model_a", pair_model_b="model_b", prompt="prompt"),
    "pairs+models+truth": Spec(**PAIRS, pair_model_a="model_a", pair_model_b="model_b", truth=["human_prefers_a"]),
    "model+prompt": Spec(proxy=["judge_score"], length="length", model="model", prompt="prompt", group="judge"),
    "model+prompt+truth": Spec(proxy=["judge_score"], truth=["human_score"], length="length", model="model",
                               prompt="prompt", group="judge"),
    "model": Spec(proxy=["judge_score"], length="length", model="model", group="judge"),
    "prompt+truth+reliability": Spec(proxy=["judge_score"], truth=["human_score"], length="length", prompt="prompt",
                                     truth_reliability=0.95, group="judge"),
}


@pytest.mark.parametrize("name", sorted(ROW_CHECKS))
def test_checks_that_read_rows_agree_on_streamed_aggregates(judged, arena, rated, summaries, sessions, styled,
                                                             monkeypatch, name):
    spec = ROW_CHECKS[name]
    log = arena if spec.pair_length_a else rated if spec.self_rating else sessions if spec.session else \
        styled if name.startswith("style") else summaries if spec.text and spec.proxy else judged
    rows = run([log], spec)
    monkeypatch.setattr(run_mod, "LARGE_ROWS", 100)
    streamed = run([log], spec)
    assert any("per-step aggregates (polars)" in n.message for n in streamed.notes)
    _same(rows, streamed, at_least=3)
    _close([f.stats for f in rows.findings], [f.stats for f in streamed.findings])
    # not vacuous: the gamed group of each log is found
    assert {"inflating", "biased", "stuffed", "looping"} & {f.group for f in streamed.findings} or \
        {"SG804", "SG810"} <= {f.rule_id for f in streamed.findings}


@pytest.mark.parametrize("controls", [{}, {"pair_model_a": "model_a", "pair_model_b": "model_b", "prompt": "prompt"},
                                      {"pair_model_a": "model_a", "pair_model_b": "model_b", "truth": ["human_prefers_a"]}])
def test_binned_length_ratios_stay_within_the_stated_tolerance(arena, monkeypatch, controls):
    """Above pairs.EXACT_ROWS rows the log length ratio is binned (width 0.1, second order in the spread
    inside a bin): the fit moves by less than the rule page states (log-odds by 0.001, win rates by 0.001,
    -log10 p by 1%), and the verdicts not at all."""
    from specgap.monitor import pairs

    spec = Spec(**{**PAIRS, **controls})
    exact = run([arena], spec)
    monkeypatch.setattr(run_mod, "LARGE_ROWS", 100)
    monkeypatch.setattr(pairs, "EXACT_ROWS", 100)
    binned = run([arena], spec)
    assert [(c["rule_id"], c["group"], c["fired"]) for c in exact.checks] == \
        [(c["rule_id"], c["group"], c["fired"]) for c in binned.checks]
    for a, b in zip(exact.checks, binned.checks):
        assert -math.log10(b["p_value"]) == pytest.approx(-math.log10(a["p_value"]), rel=0.01, abs=0.01)
    assert exact.findings
    for a, b in zip(exact.findings, binned.findings):
        assert b.stats["log_odds_per_log_ratio"] == pytest.approx(a.stats["log_odds_per_log_ratio"], abs=0.001)
        assert b.stats["win_rate"] == pytest.approx(a.stats["win_rate"], abs=1e-12)   # no covariate: exact
        assert b.stats["p_prefer_longer"] == pytest.approx(a.stats["p_prefer_longer"], abs=1e-12)
        assert b.stats["length_controlled_win_rate"] == pytest.approx(a.stats["length_controlled_win_rate"], abs=1e-3)


def test_self_ratings_from_counts_agree_with_the_items(tmp_path_factory, monkeypatch):
    """Above selfeval.EXACT_ROWS the cells keep no row numbers, above EXPAND_MAX the items are not rebuilt:
    the statistics from the counts are the items' (the ratings here are on a scale, so rounding is exact)."""
    from specgap.monitor import selfeval

    df = pl.concat([synth.self_eval_run(23, 0.3, n=2500).with_columns(pl.lit("a").alias("rater")),
                    synth.self_eval_run(24, 0.0, n=2500).with_columns(pl.lit("b").alias("rater"))])
    log = _sharded(tmp_path_factory, "rated_large", df)
    spec = Spec(**{**SELF, "text": "answer"})
    rows = run([log], spec)
    monkeypatch.setattr(run_mod, "LARGE_ROWS", 100)
    monkeypatch.setattr(selfeval, "EXACT_ROWS", 100)
    monkeypatch.setattr(selfeval, "EXPAND_MAX", 100)
    counted = run([log], spec)
    _same(rows, counted, at_least=3)
    _close([f.stats for f in rows.findings], [f.stats for f in counted.findings])
    assert rows.findings and rows.findings[0].stats["predictors"]


def test_degenerate_text_sample_is_the_same_on_rows_and_shards(summaries, monkeypatch):
    """Above textgame.MAX_ROWS outputs SG808 tests a sample kept by a hash of the row number: the rows and
    the streamed shards test the same sample, for the whole log and for each group."""
    from specgap.monitor import textgame

    monkeypatch.setattr(textgame, "MAX_ROWS", 400)
    spec = ROW_CHECKS["degenerate"]
    rows = run([summaries], spec)
    monkeypatch.setattr(run_mod, "LARGE_ROWS", 100)
    streamed = run([summaries], spec)
    _same(rows, streamed, at_least=3)
    _close([f.stats for f in rows.findings], [f.stats for f in streamed.findings])
    sampled = [f.stats for f in rows.findings if f.stats["sampled_from"]]
    assert sampled and all(200 < s["n"] < s["sampled_from"] for s in sampled)


def test_ray_engine_runs_every_check_as_polars_does(arena, judged, rated, summaries, sessions, styled, shards,
                                                    labelled, local_ray):
    """One Ray session for every check that used to read rows, the audit queue and label steps."""
    specs = {**ROW_CHECKS, "audit": AUDIT, "labels": SPEC}
    logs = {"pairs+models+prompt": arena, "model+prompt+truth": judged, "self+text": rated,
            "degenerate+style+truth": summaries, "sessions": sessions, "style": styled,
            "audit": str(shards / "*.parquet"), "labels": labelled}
    on_ray = {name: run([log], specs[name], engine="ray") for name, log in logs.items()}
    assert on_ray["audit"].audit.equals(run([logs["audit"]], AUDIT).audit)
    ran = set()
    for name, log in logs.items():
        rows = run([log], specs[name])
        _same(rows, on_ray[name], at_least=3)
        _close([f.stats for f in rows.findings], [f.stats for f in on_ray[name].findings])
        ran |= {c["rule_id"] for c in on_ray[name].checks}
    assert {"SG804", "SG805", "SG808", "SG809", "SG810"} <= ran


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> str:
    """Version labels as steps, whose alphabetical order is not their order in the log."""
    df = pl.concat([synth.training_run(43, 1.0).with_columns(pl.lit("gamed").alias("model")),
                    synth.training_run(44, 0.0).with_columns(pl.lit("honest").alias("model"))]).sort("step")
    return _sharded(tmp_path_factory, "labels", df.with_columns(
        pl.format("ckpt-{}", (pl.col("step") * 37) % 1000).alias("step")), parts=4)


def test_label_steps_are_ordered_alike_on_every_shard(labelled, monkeypatch):
    """Labels are ordered by first appearance in the whole log: a first pass over the shards finds each
    label's first row, so shards number steps alike and agree with the rows."""
    rows = run([labelled], SPEC)
    monkeypatch.setattr(run_mod, "LARGE_ROWS", 100)
    streamed = run([labelled], SPEC)
    _same(rows, streamed, at_least=3)
    assert {f.rule_id for f in streamed.findings if f.group == "gamed"} & {"SG801", "SG802", "SG803"}


@pytest.mark.parametrize("name, binned", [("pairs+models+prompt", False), ("pairs+models+prompt", True),
                                          ("pairs+models+prompt+truth", True), ("pairs", False), ("sessions", False)])
def test_cells_in_partitions_give_the_checks_of_all_cells_at_once(arena, sessions, monkeypatch, name, binned):
    """Cells too many for memory are computed and used in partitions by a hash of the prompt (pairwise SG804,
    fitted partition by partition) or of the session (SG809): the same checks, numbers to 1e-6, as with
    every cell in memory, on the streamed and on the rows' path."""
    from specgap.monitor import aggregate, pairs

    spec = ROW_CHECKS.get(name) or Spec(**PAIRS, pair_model_a="model_a", pair_model_b="model_b", prompt="prompt",
                                        truth=["human_prefers_a"])
    log = sessions if spec.session else arena
    monkeypatch.setattr(run_mod, "LARGE_ROWS", 100)
    if binned:
        monkeypatch.setattr(pairs, "EXACT_ROWS", 100)
    whole = run([log], spec)
    seen: list[int] = []
    monkeypatch.setattr(aggregate, "partitions", lambda cells: seen.append(cells) or 7)
    parted = run([log], spec)
    assert seen and all(c > 7 for c in seen)   # it did go through 7 partitions, each with cells
    _same(whole, parted, at_least=3)
    _close([f.stats for f in whole.findings], [f.stats for f in parted.findings])
    assert whole.findings


def test_pairwise_fit_is_the_row_level_penalized_maximum_likelihood(tmp_path):
    """The length slope and its standard error from the cells (Newton over partitions) are those of the
    penalized logistic regression fitted on the rows themselves, with scipy's optimizer run to convergence."""
    import numpy as np
    from scipy import optimize
    from scipy.special import expit

    df = synth.arena_run(5, bias=0.6, n=900, prompts=40)
    df.write_parquet(tmp_path / "a.parquet")
    spec = Spec(proxy=["judge_prefers_a"], pair_length_a="len_a", pair_length_b="len_b", pair_model_a="model_a",
                pair_model_b="model_b", prompt="prompt", alpha=0.5)
    f = [x for x in run([str(tmp_path / "a.parquet")], spec).findings if x.rule_id == "SG804"][0]
    y = df.get_column("judge_prefers_a").to_numpy()
    dl = np.log1p(df.get_column("len_a").to_numpy()) - np.log1p(df.get_column("len_b").to_numpy())
    models = sorted(set(df.get_column("model_a")) | set(df.get_column("model_b")))
    ma = np.array([models.index(m) for m in df.get_column("model_a")])
    mb = np.array([models.index(m) for m in df.get_column("model_b")])
    ref = int(np.argmax(np.bincount(ma, minlength=len(models)) + np.bincount(mb, minlength=len(models))))
    M = np.zeros((len(y), len(models)))
    M[np.arange(len(y)), ma] += 1
    M[np.arange(len(y)), mb] -= 1
    prompts = sorted(set(df.get_column("prompt")))
    P = np.zeros((len(y), len(prompts)))
    P[np.arange(len(y)), [prompts.index(p) for p in df.get_column("prompt")]] = 1
    X = np.column_stack([np.ones(len(y)), dl, np.delete(M, ref, axis=1), P])
    pen = np.r_[np.zeros(X.shape[1] - len(prompts)), np.ones(len(prompts))]

    def nll(b):
        z = X @ b
        return -(y * z - np.logaddexp(0, z)).sum() + 0.5 * (pen * b * b).sum(), -(X.T @ (y - expit(z))) + pen * b

    b = optimize.minimize(nll, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B",
                          options={"maxiter": 100000, "gtol": 1e-11, "ftol": 1e-16}).x
    p = expit(X @ b)
    se = np.sqrt(np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]) + np.diag(pen))[1, 1])
    assert f.stats["log_odds_per_log_ratio"] == pytest.approx(b[1], rel=1e-6)
    lo, hi = f.stats["log_odds_ci"]
    assert (hi - lo) / (2 * 1.96) == pytest.approx(se, rel=1e-6)
    assert f.stats["prompts"] == len(prompts) and f.stats["models"] == len(models)


@pytest.mark.parametrize("name", ["pairs+models+prompt", "sessions", "degenerate+style+truth", "self+text",
                                  "model+prompt+truth", "mixed", "audit"])
def test_aggregates_in_batches_of_rows_add_up_to_one_pass(judged, arena, rated, summaries, sessions, shards, mixed,
                                                          monkeypatch, name):
    """Large Parquet logs are read in batches of rows (windows of a file, or small files together), and the
    batches' aggregates, samples and tops are combined: the checks of one pass over the log, numbers to 1e-6."""
    from specgap.monitor import aggregate

    spec = {"mixed": MIXED, "audit": AUDIT}.get(name) or ROW_CHECKS[name]
    log = {"mixed": str(mixed / "*.parquet"), "audit": str(shards / "*.parquet")}.get(name) or (
        arena if spec.pair_length_a else rated if spec.self_rating else sessions if spec.session else
        summaries if spec.text else judged)
    monkeypatch.setattr(run_mod, "LARGE_ROWS", 100)
    one = run([log], spec)
    batched: list[int] = []
    real = run_mod._batches
    monkeypatch.setattr(run_mod, "BATCH_ROWS", 250)
    # the batches' parts are added up as they come (and cells in partitions) once they outgrow this
    monkeypatch.setattr(aggregate, "PART_CELLS", 400)
    monkeypatch.setattr(run_mod, "_batches", lambda *a: batched.append(len(b := real(*a))) or b)
    many = run([log], spec)
    assert batched and batched[0] >= 4   # windows of a file and files together
    _same(one, many, at_least=3)
    _close([f.stats for f in one.findings], [f.stats for f in many.findings])
    assert one.findings
    if name == "audit":
        assert many.audit.equals(one.audit)
    monkeypatch.setattr(run_mod, "BATCH_ROWS", int(0.7 * one.rows))   # two of the three files in one batch
    grouped = run([log], spec)
    assert batched[-1] == 2
    _same(one, grouped, at_least=3)
    _close([f.stats for f in one.findings], [f.stats for f in grouped.findings])


def test_ray_engine_computes_partitions_of_cells_as_polars_does(arena, sessions, monkeypatch, local_ray):
    """Cells in partitions on Ray: each partition's pass filters its rows inside the Ray tasks."""
    from specgap.monitor import aggregate

    monkeypatch.setattr(aggregate, "partitions", lambda cells: 3)
    logs = {"pairs+models+prompt": arena, "sessions": sessions}
    on_ray = {name: run([log], ROW_CHECKS[name], engine="ray") for name, log in logs.items()}
    for name, log in logs.items():
        rows = run([log], ROW_CHECKS[name])
        _same(rows, on_ray[name], at_least=3)
        _close([f.stats for f in rows.findings], [f.stats for f in on_ray[name].findings])
