"""`--select`/`--ignore` prefixes are read by family: SG1 is SG1xx, never the SG10xx or SG11xx families."""

from __future__ import annotations

import pytest

from specgap.config import ConfigError, check_selectors
from specgap.engine import matches, select_rules
from specgap.rules import all_rules

IDS = [r.id for r in all_rules()]


def _selected(*selectors: str) -> set[str]:
    return {r.id for r in select_rules(all_rules(), selectors)}


def _family(rule_id: str) -> str:
    return rule_id[2:-2]


def test_a_one_digit_prefix_is_its_three_digit_family_only():
    assert _selected("SG1") == {i for i in IDS if _family(i) == "1"}
    assert "SG101" in _selected("SG1") and "SG112" in _selected("SG1")
    assert not {i for i in _selected("SG1") if len(i) == 6}  # no SG10xx, no SG11xx


def test_a_two_digit_family_is_selected_whole_and_alone():
    assert _selected("SG10") == {i for i in IDS if _family(i) == "10"} >= {"SG1001", "SG1010"}
    assert _selected("SG11") == {i for i in IDS if _family(i) == "11"} >= {"SG1101", "SG1111"}
    assert not _selected("SG11") & {"SG110", "SG111", "SG112"}


def test_a_longer_prefix_narrows_within_a_family():
    assert _selected("SG40") == {i for i in IDS if i.startswith("SG40") and len(i) == 5}
    assert _selected("SG110") == {"SG110"}  # a whole id names only itself
    assert matches("SG091", ["SG09"])        # a decade of a family no catalog id spells as a family


def test_everything_and_ignore():
    assert _selected("SG") == set(IDS)
    assert {r.id for r in select_rules(all_rules(), ignore=["SG1"])} == {i for i in IDS if _family(i) != "1"}
    assert {r.id for r in select_rules(all_rules(), ["SG1", "SG11"])} == {i for i in IDS if _family(i) in ("1", "11")}


@pytest.mark.parametrize("selector", ["SG1", "SG10", "SG11", "SG40", "SG", "SG1004"])
def test_config_accepts_selectors_that_name_a_rule(selector):
    assert check_selectors([selector.lower()], "select") == (selector,)


def test_config_refuses_a_prefix_that_names_no_family():
    with pytest.raises(ConfigError, match="matches no rule"):
        check_selectors(["SG12"], "select")  # SG12 is neither a family nor a decade of SG1xx
