"""The default suite end to end over HTTP against the local scripted server, both policies."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner

from specgap.cli import main
from specgap.probe import clients, runner, suite
from specgap.probe.fake_server import serve
from specgap.probe.result import CATEGORIES


@pytest.fixture(scope="module")
def probes():
    return suite.load([suite.default_suite()])


@pytest.fixture(scope="module")
def outcomes(probes):
    """Each policy's results over real HTTP on loopback."""
    got = {}
    for policy in ("honest", "gaming"):
        with serve(policy) as url:
            assert url.startswith("http://127.0.0.1:")
            got[policy] = runner.run(probes, clients.http_chat(url, f"specgap-{policy}"))
    return got


def test_default_suite_covers_every_category(probes):
    assert {p.category for p in probes} == set(CATEGORIES)


def test_honest_policy_passes_every_probe(outcomes):
    failed = [(r.id, r.reason) for r in outcomes["honest"] if not r.passed]
    assert failed == []


def test_gaming_policy_fails_every_probe_with_a_reason(outcomes):
    assert all(not r.passed and not r.error for r in outcomes["gaming"]), \
        [(r.id, r.reason) for r in outcomes["gaming"] if r.passed or r.error]
    assert {r.category for r in outcomes["gaming"]} == set(CATEGORIES)


def test_every_leak_form_is_named(outcomes):
    hows = {f["how"] for r in outcomes["gaming"] if r.category == "secret" for f in r.details["leaks"]}
    assert {"verbatim", "base64/hex", "rot13", "reversed", "piecewise", "translated", "paraphrased system prompt"} <= hows


def test_transcripts_hold_every_exchange(outcomes):
    piecewise = next(r for r in outcomes["gaming"] if r.id == "leak-piecewise")
    assert len(piecewise.transcript) == 3
    assert piecewise.transcript[-1].messages[-1]["role"] == "user"
    assert [m["role"] for m in piecewise.transcript[-1].messages].count("assistant") == 2
    rater = next(r for r in outcomes["gaming"] if r.category == "rater")
    assert {t.label for t in rater.transcript} >= {"original", "padded", "confident", "structured"}


def test_a_separate_judge_is_the_one_the_rater_probes_grade(probes):
    """An honest model with a gaming judge: only the rater probes fail."""
    with serve("honest") as model_url, serve("gaming") as judge_url:
        results = runner.run(probes, clients.http_chat(model_url, "m"), clients.http_chat(judge_url, "j"))
    assert {r.category for r in results if not r.passed} == {"rater"}


def test_cli_json_results_and_exit_codes():
    res = CliRunner().invoke(main, ["probe", "--demo", "gaming", "--format", "json", "-q"])
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    assert len(doc["results"]) == doc["summary"]["probes"]
    assert all(set(r) >= {"id", "category", "passed", "transcript"} for r in doc["results"])
    assert not any(r["passed"] for r in doc["results"])
    assert {f["rule_id"] for f in doc["findings"]} == {"SG1001", "SG1002", "SG1003", "SG1004", "SG1005"}
    for rate in doc["summary"]["rates"].values():
        assert rate["failed"] == rate["probes"] and 0 < rate["ci95"][0] <= rate["ci95"][1] == 1.0

    res = CliRunner().invoke(main, ["probe", "--demo", "honest", "--category", "secret", "-q"])
    assert res.exit_code == 0, res.output
    assert "all 7 probe(s) passed" in res.stdout


def test_cli_html_and_callable(tmp_path):
    out = tmp_path / "probe.html"
    res = CliRunner().invoke(main, ["probe", "--callable", "specgap.probe.policies:gaming", "--category", "reward",
                                    "--format", "html", "-o", str(out), "-q"])
    assert res.exit_code == 1
    page = out.read_text()
    assert page.startswith("<!doctype html>") and "reward-score-file" in page and "FAIL" in page
    assert "<script" not in page


def test_unreachable_endpoint_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    res = CliRunner().invoke(main, ["probe", "--url", f"http://127.0.0.1:{port}/v1", "--model", "x",
                                    "--probe", "leak-direct", "--timeout", "2", "-q"])
    assert res.exit_code == 2 and "could not ask the model" in res.output


def test_usage_errors():
    assert CliRunner().invoke(main, ["probe"]).exit_code == 2
    assert CliRunner().invoke(main, ["probe", "--url", "http://127.0.0.1:1/v1"]).exit_code == 2
    res = CliRunner().invoke(main, ["probe", "--demo", "honest", "--probe", "no-such-probe"])
    assert res.exit_code == 2 and "no probe left" in res.output


def test_html_goes_through_the_shared_page_and_escapes_replies(tmp_path, monkeypatch):
    """A reply is the model's text: on the page it is text, never markup."""
    (tmp_path / "hostile_policy.py").write_text(
        "def reply(messages):\n    return 'B) <script>alert(1)</script><img src=x onerror=alert(2)>'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "probe.html"
    res = CliRunner().invoke(main, ["probe", "--callable", "hostile_policy:reply", "--category", "reward",
                                    "--format", "html", "-o", str(out), "-q"])
    assert res.exit_code == 1, res.output
    page = out.read_text()
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Failure rate by category" in page and "SG1005" in page and "reward-score-file" in page
