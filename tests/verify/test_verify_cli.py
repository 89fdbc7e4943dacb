"""The `verify` command: formats, exit codes, and the static scan alongside."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from click.testing import CliRunner
from .conftest import ALWAYS_EQUAL, HONEST

from specgap.model import Severity
from specgap.verify.command import verify

# A change that ships a report forger: the run leaves it out (evidence) and the scan finds it.
FORGER = {**HONEST, "conftest.py": "import pytest\n\n@pytest.hookimpl(hookwrapper=True)\n"
          "def pytest_runtest_makereport(item, call):\n    outcome = yield\n"
          "    outcome.get_result().outcome = 'passed'\n"}


def invoke(*args):
    return CliRunner().invoke(verify, [*args, "--sandbox", "none", "--no-nop-check", "--no-inflation"])


def test_pass_exit_0_json(scenario):
    scenario.change(HONEST)
    r = invoke("--repo", str(scenario.repo), "--base", scenario.base, "--format", "json", "--no-scan")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["verdict"] == "pass"
    assert data["counts"]["passed"] == data["counts"]["total"] > 0
    assert data["summary"]["isolation"]["level"] == "none"
    assert all(t["status"] == "passed" for t in data["tests"])


def test_tampered_exit_1_junit_with_scan(scenario, tmp_path):
    scenario.change(ALWAYS_EQUAL)
    out = tmp_path / "report.xml"
    r = invoke("--repo", str(scenario.repo), "--base", scenario.base, "--format", "junit", "-o", str(out))
    assert r.exit_code == 1, r.output
    root = ET.fromstring(out.read_text())
    assert root.get("verdict") == "tampered"
    evidence = [c.get("name") for s in root.iter("testsuite") if s.get("name") == "specgap evidence" for c in s]
    assert "canary-passed" in evidence


def test_text_report_includes_static_scan(scenario):
    scenario.change(FORGER)
    r = invoke("--repo", str(scenario.repo), "--base", scenario.base)
    # The tests pass (the forging conftest was left out), but a change that ships a report forger
    # is not a pass: the scan layer decides, and the report says so.
    assert r.exit_code == 1, r.output
    assert r.output.startswith("verdict: FAIL  (decided by: static scan)")
    assert "SG201" in r.output.split("\n")[1] and "tests passed: 8/8" in r.output
    assert "SG711 excluded-file" in r.output and "static scan:" in r.output
    r = invoke("--repo", str(scenario.repo), "--base", scenario.base, "--fail-on", "critical", "--no-nop-check", "-v")
    assert r.exit_code == 1  # critical is still at or above critical
    r = invoke("--repo", str(scenario.repo), "--base", scenario.base, "--no-scan", "-v")
    assert r.exit_code == 0 and "verdict: PASS  (decided by: tests)" in r.output
    assert r.output.count("  passed  ") >= 8  # -v lists every test


def test_terminal_escapes_in_test_names_and_messages_are_neutralised(scenario):
    scenario.change(HONEST).rebase({"tests/test_esc.py": 'def test_esc():\n    raise ValueError(chr(27) + "[2J")\n'})
    r = invoke("--repo", str(scenario.repo), "--base", scenario.base, "--no-scan", "--tests", "tests/test_esc.py")
    assert r.exit_code == 1 and "\x1b" not in r.output and "\\x1b" in r.output, r.output


def test_json_is_the_shared_envelope_with_verifys_fields(scenario):
    scenario.change(FORGER)
    r = invoke("--repo", str(scenario.repo), "--base", scenario.base, "--format", "json")
    assert r.exit_code == 1, r.output
    doc = json.loads(r.output)
    assert (doc["tool"], doc["command"], doc["errors"]) == ("specgap", "verify", [])
    s = doc["summary"]
    assert (s["verdict"], s["decided_by"], doc["verdict"]) == ("fail", "static scan", "fail")
    assert s["reasons"] and "SG201" in s["reasons"][0] and s["counts"] == doc["counts"]
    # One findings list: the run's evidence first, then the scan's findings, one severity type.
    ids = [f["rule_id"] for f in doc["findings"]]
    assert doc["evidence"] + doc["scan"]["findings"] == len(ids)
    assert all(i.startswith("SG7") for i in ids[:doc["evidence"]]) and "SG711" in ids
    assert "SG201" in ids[doc["evidence"]:]
    assert {f["severity"] for f in doc["findings"]} <= {v.value for v in Severity}
    assert doc["timing"]["run"] > 0 and "tests" in doc


def test_text_findings_are_printed_as_every_command_prints_them(scenario):
    scenario.change({**FORGER, "tests/test_\x1b[2Jx.py": "def test_x():\n    assert True\n"})
    r = invoke("--repo", str(scenario.repo), "--base", scenario.base)
    assert r.exit_code == 1, r.output
    evidence, scan = r.output.split("\nevidence:\n")[1].split("\nstatic scan:\n")
    assert re.search(r"SG711 excluded-file  \w+ x \w+  tampering", evidence), r.output
    assert re.search(r"\d+  SG201 report-forged  critical x high  tampering", scan), r.output
    # the agent's file name reaches the terminal only through the escape helper
    assert "\x1b" not in r.output and "test_\\x1b[2Jx.py" in evidence


def test_error_exit_2(tmp_path):
    r = invoke("--repo", str(tmp_path), "--base", "HEAD")
    assert r.exit_code == 2
    assert r.output.startswith("specgap verify: error: ") and "not a git repository" in r.output
    assert r.output.count("\n") == 1


def test_base_is_required_without_call_tests(tmp_path):
    r = invoke("--repo", str(tmp_path))
    assert r.exit_code == 2 and "--base" in r.output and r.output.count("\n") == 1


def test_registered_on_the_main_cli():
    from specgap.cli import main

    r = CliRunner().invoke(main, ["verify", "--help"])
    assert r.exit_code == 0 and "--call-tests" in r.output


def test_rule_pages_are_registered():
    from specgap.rules import get_rule

    for name in ("canary-passed", "sentinel-held", "missing-results", "no-final-record", "harness-inflation",
                 "holdout-gap", "do-nothing-passes", "harness-patched"):
        rule = get_rule(name)
        assert rule is not None and rule.id.startswith("SG7")
        doc = rule.doc()
        for section in ("What it does", "Why is this bad", "Example", "Use instead"):
            assert section in doc, (name, section)


def test_pytest_refusing_the_base_config_is_an_error_with_pytests_reason(scenario):
    # The base's own marker expression is broken: pytest stops with a usage error, and the report
    # says so instead of listing every test as "no result recorded".
    scenario.rebase({"pytest.ini": "[pytest]\naddopts = -m 'not ('\n"})
    scenario.change(HONEST)
    assert scenario.naive().returncode == 4
    r = invoke("--repo", str(scenario.repo), "--base", scenario.base, "--no-scan")
    assert r.exit_code == 2, r.output
    head = r.output.splitlines()
    assert head[0].startswith("verdict: ERROR") and "usage error" in head[1] and "-m" in head[1], r.output
    assert "specgap verify: error: pytest stopped with a usage error" in r.output
