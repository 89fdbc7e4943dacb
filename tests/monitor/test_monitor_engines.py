"""Logs of any size: the step checks on streamed per-step moments, on Ray shards, and on the rows agree."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from specgap.monitor import run as run_mod
from specgap.monitor import synth
from specgap.monitor.run import run
from specgap.monitor.spec import Spec

SPEC = Spec(step="step", proxy=["reward_model"], truth=["gold_reward"], group="model")


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("shards")
    a = synth.training_run(41, 1.0).with_columns(pl.lit("gamed").alias("model"))
    b = synth.training_run(42, 0.0).with_columns(pl.lit("honest").alias("model"))
    df = pl.concat([a, b])
    for i, part in enumerate(df.iter_slices(df.height // 4 + 1)):
        part.write_parquet(d / f"part-{i:02d}.parquet")
    return d


def _checks(report) -> dict[tuple[str, str], tuple[float, bool]]:
    return {(c["rule_id"], c["group"]): (c["p_value"], c["fired"]) for c in report.checks}


def _same(a, b) -> None:
    ca, cb = _checks(a), _checks(b)
    assert ca.keys() == cb.keys() and len(ca) >= 6
    for k in ca:
        assert cb[k][0] == pytest.approx(ca[k][0], rel=1e-6, abs=1e-12), k
        assert cb[k][1] == ca[k][1], k
    assert [(f.rule_id, f.group, f.fingerprint, f.stats["rows"]) for f in a.findings] == \
        [(f.rule_id, f.group, f.fingerprint, f.stats["rows"]) for f in b.findings]


def test_streamed_moments_agree_with_the_rows(shards, monkeypatch):
    rows = run([str(shards / "*.parquet")], SPEC)
    assert "per-step aggregates" not in " ".join(n.message for n in rows.notes)
    monkeypatch.setattr(run_mod, "LARGE_ROWS", 100)
    streamed = run([str(shards / "*.parquet")], SPEC)
    assert any("per-step aggregates (polars)" in n.message for n in streamed.notes)
    assert streamed.rows == rows.rows and streamed.audit is None
    _same(rows, streamed)
    assert any(f.rule_id == "SG801" and f.group == "gamed" for f in streamed.findings)


def test_local_file_url_reads_like_a_path(shards):
    by_path = run([str(shards / "*.parquet")], SPEC)
    by_url = run([(shards / "x").as_uri()[:-1] + "*.parquet"], SPEC)
    _same(by_path, by_url)


def test_ray_engine_agrees_with_polars(shards):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    try:
        on_ray = run([str(shards / "*.parquet")], SPEC, engine="ray")
    finally:
        ray.shutdown()
    assert any("(ray)" in n.message for n in on_ray.notes)
    _same(run([str(shards / "*.parquet")], SPEC), on_ray)


def test_ray_engine_refuses_row_checks_clearly(shards):
    from specgap.monitor.spec import SpecError

    with pytest.raises(SpecError, match="--engine ray runs the step checks"):
        run([str(shards / "*.parquet")], Spec(proxy=["reward_model"], truth=["gold_reward"], length="length"),
            engine="ray")
