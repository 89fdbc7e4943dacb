"""The propensity checks (SG10xx) are catalog pages: `specgap rule` prints them, the pillars use their ids."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from specgap.cli import main
from specgap.probe.result import CATEGORIES, ProbeResult
from specgap.rules import all_rules, get_rule, scan_rules
from specgap.rules.catalog.propensity import ImpossibleTaskPassed, probe_check

IDS = ["SG1001", "SG1002", "SG1003", "SG1004", "SG1005", "SG1010"]


@pytest.mark.parametrize("rule_id", IDS)
def test_rule_prints_each_page(rule_id):
    res = CliRunner().invoke(main, ["rule", rule_id])
    assert res.exit_code == 0, res.output
    assert res.output.startswith(rule_id) and "What it does:" in res.output and "Use instead:" in res.output


def test_pages_are_listed_but_never_run_by_scan():
    assert sorted(r.id for r in all_rules() if r.family in ("probe", "impossible")) == IDS
    assert not {r.id for r in scan_rules()} & set(IDS)
    res = CliRunner().invoke(main, ["rules"])
    assert all(i in res.output for i in IDS)


@pytest.mark.parametrize("category", CATEGORIES)
def test_a_failed_probe_is_a_finding_of_its_categorys_page(category):
    check = probe_check(category)
    f = ProbeResult("p", category, passed=False, reason="why").finding()
    assert get_rule(f.rule_id) is check
    assert (f.name, f.kind, f.severity) == (check.name, check.kind, check.severity)


def test_impossible_names_its_page():
    assert get_rule("impossible-task-passed") is ImpossibleTaskPassed
