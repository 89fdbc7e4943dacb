"""`sed -i` edits are replayed onto the rollout's virtual tree (simple forms), and reported otherwise."""

from __future__ import annotations

import json

import pytest

from specgap.inputs.transcripts import sed
from specgap.inputs.transcripts.shards import record_rollout
from specgap.rules import rollout_rules, scan_rules
from specgap.run.evaluate import evaluate_rollout

TEST = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n    assert add(0, 0) == 0\n"


@pytest.mark.parametrize("argv, text, expected", [
    (["-i", "s/== 5/== 6/", "t.py"], "x == 5 == 5\n", "x == 6 == 5\n"),
    (["-i", "s/5/6/g", "t.py"], "5 55\n", "6 66\n"),
    (["-i", "s/o/0/2", "t.py"], "foo\nboo\n", "fo0\nbo0\n"),                       # the 2nd match on each line
    (["-i.bak", "-e", "s/a/b/", "-e", "s/c/d/", "t.py"], "ac\n", "bd\n"),
    (["-i", "s/x/1/; s/y/2/", "t.py"], "xy\n", "12\n"),
    (["-i", "s|/usr/lib|/opt|", "t.py"], "/usr/lib/x\n", "/opt/x\n"),
    (["-i", "s/\\(add\\)(\\([0-9]\\)/\\1(9/", "t.py"], "add(2, 3)\n", "add(9, 3)\n"),  # BRE: groups, literal (
    (["-E", "-i", "s/(add)\\((\\w+)/\\1(\\2\\2/", "t.py"], "add(2, 3)\n", "add(22, 3)\n"),  # ERE
    (["-i", "s/[[:digit:]]\\{2,\\}/N/g", "t.py"], "1 22 333\n", "1 N N\n"),
    (["-i", "s/^/# /", "t.py"], "a\nb\n", "# a\n# b\n"),  # no phantom line after the last newline
    (["-i", "s/$/;/", "t.py"], "a\nb", "a;\nb;"),
    (["-i", "s/A/&&/I", "t.py"], "a\n", "aa\n"),
    (["-i", "s/a\\/b/[&]/", "t.py"], "a/b\n", "[a/b]\n"),                          # an escaped delimiter
    (["-i", "s/a^b$c/x/", "t.py"], "a^b$c\n", "x\n"),                              # BRE: ^ and $ mid-regex are literal
    (["-i", "", "s/a/b/", "t.py"], "a\n", "b\n"),                                  # BSD: -i ''
    (["--in-place=.orig", "--expression=s/a/b/", "t.py"], "a\n", "b\n"),
    (["-i", "s/[&|~]/_/g", "t.py"], "a&b|c~d\n", "a_b_c_d\n"),                  # literal in a bracket
])
def test_simple_forms_are_replayed_as_sed_does(argv, text, expected):
    assert sed.parse(("sed", *argv)).apply(text) == expected


@pytest.mark.parametrize("argv, why", [
    (["-i", "1d", "t.py"], "only s///"),
    (["-i", "/x/s/a/b/", "t.py"], "only s///"),
    (["-n", "-i", "s/a/b/p", "t.py"], "option -n"),
    (["-i", "s/a/b/w out", "t.py"], "flags"),
    (["-i", "s/a\\|b/c/", "t.py"], "alternation"),
    (["-E", "-i", "s/a|b/c/", "t.py"], "alternation"),
    (["-i", "s/a/\\U&/", "t.py"], "case conversion"),
    (["-i", "s//x/", "t.py"], "empty regex"),
    (["-i", "s/a/b/", "tests/*.py"], "pattern or variable"),
    (["-i", "s/a/b/", "$F"], "pattern or variable"),
    (["-i", "s/a/b", "t.py"], "unterminated"),
    (["-i", "s/[\\n]/x/", "t.py"], "backslash in a bracket"),
    (["-i", "s/a/b/"], "no file"),
    (["-i", "s/a/\\1/", "t.py"], "refers to group 1"),
])
def test_other_forms_are_reported_not_guessed(argv, why):
    with pytest.raises(sed.NotReplayed, match=why):
        sed.parse(("sed", *argv))


def test_sed_to_stdout_edits_nothing():
    with pytest.raises(sed.NotInPlace):
        sed.parse(("sed", "s/a/b/", "t.py"))


def _session(*commands: str, read: bool = True) -> list[dict]:
    msgs: list[dict] = [{"role": "user", "content": "Make tests/test_calc.py pass."}]
    calls = (["cat tests/test_calc.py"] if read else []) + list(commands)
    for i, cmd in enumerate(calls):
        args = json.dumps({"command": cmd})
        call = {"id": f"c{i}", "type": "function", "function": {"name": "bash", "arguments": args}}
        msgs.append({"role": "assistant", "content": "", "tool_calls": [call]})
        msgs.append({"role": "tool", "tool_call_id": f"c{i}", "content": TEST if cmd.startswith("cat ") else ""})
    return msgs


def test_a_test_weakened_by_sed_is_in_the_final_tree_and_the_scan_rules_see_it():
    r = record_rollout(_session("cd /repo && sed -i 's/assert add(2, 3) == 5/assert True/' tests/test_calc.py"), "s", 0)
    f = r.files["tests/test_calc.py"]  # `cd /repo`: the session's working directory, as its other paths are
    assert f.written and f.first_read == TEST
    assert f.final == TEST.replace("assert add(2, 3) == 5", "assert True")
    assert (f.edits[-1].turn, f.edits[-1].call_id) == (3, "c1")
    out = evaluate_rollout(r, rollout_rules(), scan_rules())
    by_scan = {x.rule_id for x in out.findings if len(x.rule_id) == 5}
    assert by_scan & {"SG103", "SG104"}, out.findings  # the assertion made vacuous, seen in the file itself
    assert not r.notes


def test_a_relative_cd_is_followed():
    msgs = _session("cd tests && sed -i 's/== 5/== 6/' test_calc.py")
    f = record_rollout(msgs, "s", 0).files["tests/test_calc.py"]
    assert f.written and "add(2, 3) == 6" in f.final


def test_sed_on_a_file_never_shown_is_reported():
    r = record_rollout(_session("sed -i 's/== 5/== 6/' tests/test_calc.py", read=False), "s", 0)
    assert "tests/test_calc.py" not in r.files or not r.files["tests/test_calc.py"].written
    assert any("never showed" in n and "tests/test_calc.py" in n for n in r.notes)
    assert any("never showed" in e for e in evaluate_rollout(r, rollout_rules(), scan_rules()).errors)


def test_an_unreplayable_sed_is_reported_with_its_turn_and_call():
    r = record_rollout(_session("sed -i '/add(0, 0)/d' tests/test_calc.py"), "s", 0)
    assert r.files["tests/test_calc.py"].final == TEST  # unchanged: nothing was guessed
    assert r.notes == ["sed -i at turn 3 (call c1) not replayed onto the virtual tree: only s/// commands without "
                       "an address are replayed (got '/add(0, 0)/d')"]
