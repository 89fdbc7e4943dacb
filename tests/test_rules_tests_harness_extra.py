"""SG1xx/SG2xx behaviour the one-file fixtures cannot express: severities of the legitimate
look-alikes, binary and renamed files, configured roles, hunk-only diffs and hostile input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from specgap.engine import run_rules
from specgap.inputs.changeset import RawFile, build
from specgap.inputs.diff import load_diff
from specgap.inputs.roles import RoleConfig
from specgap.model import Severity
from specgap.rules import all_rules, get_rule

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
MINE = [r for r in all_rules() if re.fullmatch(r"SG[12]\d\d", r.id)]  # not the SG11xx transcript rules


def scan(raws: list[RawFile], rules=None, roles: RoleConfig | None = None):
    cs = build(raws, roles=roles)
    found = run_rules(cs, rules or MINE)
    assert not [e for e in cs.errors if e.path.startswith("<rule")], cs.errors
    return found


def by_rule(findings, rule_id):
    return [f for f in findings if f.rule_id == rule_id]


def _fixture(name: str, path: str) -> list[RawFile]:
    """A fixture pair (name.before.ext / name.ext) as RawFiles, header line dropped."""
    def read(p: Path) -> str | None:
        if not p.exists():
            return None
        first, _, rest = p.read_text().partition("\n")
        return "\n" + rest if first.startswith("# fixture:") else p.read_text()

    after = FIXTURES / name
    before = after.with_name(after.name.replace(".", ".before.", 1))
    return [RawFile(path, read(before), read(after))]


# -- severities: what must stay below medium, and what must not ----------------------------------

@pytest.mark.parametrize("fixture, path", [
    ("SG201_legit_report_hooks.py", "conftest.py"),
    ("SG204_legit_collection.py", "tests/conftest.py"),
])
def test_legitimate_plugin_recipes_stay_below_medium(fixture, path):
    found = scan(_fixture(fixture, path))
    assert found, "the look-alikes are still reported, at low severity"
    assert all(f.severity < Severity.MEDIUM for f in found), [(f.rule_id, f.line, f.severity) for f in found]


def test_report_forging_is_critical():
    found = by_rule(scan(_fixture("SG201_report_forged.py", "conftest.py")), "SG201")
    assert found and all(f.severity is Severity.CRITICAL for f in found)


def test_assertion_removal_severity_follows_the_evidence():
    found = {f.line: f.severity for f in by_rule(scan(_fixture("SG103_assertion_removed.py", "tests/test_stats.py")), "SG103")}
    text = (FIXTURES / "SG103_assertion_removed.py").read_text().splitlines()
    line_of = {ln.split("(")[0].split()[-1]: n for n, ln in enumerate(text, 1) if ln.lstrip().startswith("def test_")}
    assert found[line_of["test_mean"]] is Severity.HIGH          # body replaced by `pass`
    assert found[line_of["test_mode"]] is Severity.HIGH          # early return before the assert
    assert found[line_of["test_median"]] is Severity.MEDIUM      # one of two asserts commented out
    assert found[line_of["test_refactored"]] is Severity.LOW     # fewer, but still a real check
    assert found[line_of["test_consolidated"]] is Severity.LOW


def test_tautology_is_high_only_when_it_replaces_a_check():
    found = by_rule(scan(_fixture("SG104_tautological_assertion.py", "tests/test_parse.py")), "SG104")
    text = (FIXTURES / "SG104_tautological_assertion.py").read_text().splitlines()
    sev = {text[f.line - 1].strip().split("  #")[0]: f.severity for f in found}
    assert sev["assert True"] is Severity.HIGH  # in test_sum, which asserted `result == 2` before
    assert sev['assert parse("2*3") == 6 or True'] is Severity.HIGH
    assert sev["assert 1"] is Severity.LOW      # a new smoke test
    assert sev["self.assertTrue(True)"] is Severity.HIGH


def test_conditional_skips_are_low_and_unconditional_ones_high():
    found = by_rule(scan(_fixture("SG107_skip_added.py", "tests/test_io.py")), "SG107")
    text = (FIXTURES / "SG107_skip_added.py").read_text().splitlines()
    sev = {text[f.line - 1].strip(): f.severity for f in found}
    high = [k for k, v in sev.items() if v is Severity.HIGH]
    low = [k for k, v in sev.items() if v is Severity.LOW]
    assert any("mark.skip(" in k for k in high) and any("unittest.skip" in k for k in high)
    assert any("skipif(sys.platform" in k for k in low) and any("importorskip" in k for k in low)
    assert any("skipTest" in k for k in low) and any("skipif(True" in k for k in low)  # new test


def test_removed_test_whose_feature_was_removed_is_low():
    before = "from pkg.fmt import legacy\n\ndef test_legacy():\n    assert legacy(1) == '1'\n\ndef test_keep():\n    assert 1\n"
    after = "from pkg.fmt import legacy\n\ndef test_keep():\n    assert 1\n"  # only the test went
    prod_before = "def legacy(x):\n    return str(x)\n\ndef modern(x):\n    return f'{x}'\n"
    prod_after = "def modern(x):\n    return f'{x}'\n"
    found = by_rule(scan([RawFile("tests/test_fmt.py", before, after),
                          RawFile("src/pkg/fmt.py", prod_before, prod_after)]), "SG102")
    assert [f.severity for f in found] == [Severity.LOW]
    found = by_rule(scan([RawFile("tests/test_fmt.py", before, after)]), "SG102")
    assert [f.severity for f in found] == [Severity.MEDIUM]


def test_removed_deprecation_test_is_low():
    keep = "\n\ndef test_keep():\n    assert fmt(1) == '1'\n"
    before = ("import pytest\nfrom pkg import fmt\n\ndef test_old_keyword_warns():\n"
              "    with pytest.deprecated_call():\n        fmt(1, old=True)" + keep)
    after = "import pytest\nfrom pkg import fmt" + keep
    assert [f.severity for f in by_rule(scan([RawFile("tests/test_fmt.py", before, after)]), "SG102")] == [Severity.LOW]
    # the same removal of an ordinary test stays medium
    before = before.replace("with pytest.deprecated_call():\n        fmt(1, old=True)", "assert fmt(2) == '2'")
    assert [f.severity for f in by_rule(scan([RawFile("tests/test_fmt.py", before, after)]), "SG102")] == [Severity.MEDIUM]


def test_removed_test_with_its_imports_cleaned_up_is_low():
    before = "from pkg.fmt import legacy\n\ndef test_legacy():\n    assert legacy(1) == '1'\n\ndef test_keep():\n    assert 1\n"
    after = "def test_keep():\n    assert 1\n"
    assert [f.severity for f in by_rule(scan([RawFile("tests/test_fmt.py", before, after)]), "SG102")] == [Severity.LOW]


def test_deleted_test_file_is_high_unless_moved():
    text = "def test_a():\n    assert f() == 1\n"
    assert [f.severity for f in by_rule(scan([RawFile("tests/test_a.py", text, None)]), "SG101")] == [Severity.HIGH]
    moved = [RawFile("tests/test_a.py", text, None), RawFile("tests/unit/test_a.py", None, text)]
    assert by_rule(scan(moved), "SG101") == []


# -- files that are not text, renamed, or in configured roles -------------------------------------

def test_planted_bytecode_is_reported_by_path():
    pyc = b"\xa7\r\r\n\x00\x00\x00\x00" + bytes(range(256))
    found = scan([RawFile("tests/__pycache__/test_x.cpython-311-pytest-9.0.3.pyc", None, pyc)])
    assert [(f.rule_id, f.severity) for f in found] == [("SG208", Severity.HIGH)]


def test_deleting_bytecode_is_not_reported():
    assert scan([RawFile("pkg/__pycache__/m.cpython-311.pyc", b"\x00\x01", None)]) == []


def test_test_module_renamed_out_of_collection():
    text = "def test_push():\n    assert 1 + 1 == 2\n"
    found = by_rule(scan([RawFile("tests/queue_checks.py", text, text, old_path="tests/test_queue.py")]), "SG109")
    assert len(found) == 1 and found[0].severity is Severity.HIGH


def test_protected_paths_are_critical_and_specgap_config_high():
    roles = RoleConfig(protected=("grader/**",))
    found = scan([RawFile("grader/check.py", "def ok(s):\n    return s > 0.9\n", "def ok(s):\n    return True\n"),
                  RawFile(".specgap.toml", "protected = ['grader/**']\n", "protected = []\n")], roles=roles)
    assert {(f.rule_id, f.path, f.severity) for f in found} == {
        ("SG209", "grader/check.py", Severity.CRITICAL),
        ("SG210", ".specgap.toml", Severity.HIGH),
    }


def test_new_pytest_ini_from_an_agent_is_judged_like_an_edit():
    found = scan([RawFile("pytest.ini", None, "[pytest]\naddopts = --deselect tests/test_x.py::test_y\n")])
    assert [(f.rule_id, f.line, f.severity) for f in found] == [("SG205", 2, Severity.HIGH)]


def test_marker_and_filterwarnings_edits_are_not_narrowing():
    before = "[tool.pytest.ini_options]\naddopts = \"-ra\"\nmarkers = [\"slow\"]\n"
    after = "[tool.pytest.ini_options]\naddopts = \"-ra --strict-markers -p no:cacheprovider\"\nmarkers = [\"slow\", \"net\"]\nfilterwarnings = [\"error\"]\n"
    assert scan([RawFile("pyproject.toml", before, after)]) == []


# -- hunk-only diffs: removal only when the hunks show it ----------------------------------------

DIFF_REMOVED = """\
--- a/tests/test_m.py
+++ b/tests/test_m.py
@@ -10,7 +10,3 @@ import m
 def test_one():
     assert m.one() == 1
 
-
-def test_two():
-    assert m.two() == 2
-
"""

DIFF_CONTEXT_ONLY = """\
--- a/tests/test_m.py
+++ b/tests/test_m.py
@@ -10,3 +10,3 @@ import m
 def test_one():
-    assert m.one() == 1
+    assert m.one() == 1, "one"
 
"""


def test_hunk_only_diff_reports_a_removal_the_hunks_show():
    cs = load_diff(DIFF_REMOVED)
    found = by_rule(run_rules(cs, MINE), "SG102")
    assert [f.message.split(" (")[0] for f in found] == ["test test_two"]


def test_hunk_only_diff_does_not_invent_removals():
    cs = load_diff(DIFF_CONTEXT_ONLY)
    assert [f for f in run_rules(cs, MINE) if f.severity >= Severity.MEDIUM] == []


DIFF_TEST_EDITS = """\
--- a/tests/test_calc.py
+++ b/tests/test_calc.py
@@ -20,7 +20,7 @@ class TestCalc(unittest.TestCase):
     def test_add(self):
         c = Calc()
         result = c.add(2, 3)
-        self.assertEqual(result, 5)
+        self.assertTrue(True)
 
     def test_sub(self):
         c = Calc()
@@ -40,6 +40,7 @@ def helper():
 
 
 def test_mul():
+    pytest.skip("later")
     r = mul(2, 3)
     assert r == 6
 
@@ -60,6 +61,8 @@ def test_div():
     x = div(6, 3)
-    assert x == 2
-    assert div(1, 1) == 1
+    try:
+        assert x == 2
+    except AssertionError:
+        pass
 
 
 def test_mod():
@@ -80,3 +83,3 @@ def test_pow():
     y = pw(2, 3)
-    assert y == 8
+    assert y is not None
 
"""


def test_hunk_only_diff_of_test_edits_is_judged_per_test_and_per_hunk():
    found = run_rules(load_diff(DIFF_TEST_EDITS), MINE)
    got = {(f.rule_id, f.line, f.severity) for f in found}
    assert ("SG104", 23, Severity.HIGH) in got    # assertEqual -> assertTrue(True), def line in the hunk
    assert ("SG107", 43, Severity.HIGH) in got    # pytest.skip() added to an existing test
    assert ("SG108", 62, Severity.HIGH) in got    # assert wrapped in try/except AssertionError: pass
    assert ("SG105", 84, Severity.MEDIUM) in got  # `== 8` -> `is not None`, def line outside the hunk


# -- hostile input ---------------------------------------------------------------------------------

HOSTILE = [
    RawFile("tests/test_broken.py", "def test_x():\n    assert f() == 1\n", "def test_x(:\n    assert True\n"),
    RawFile("conftest.py", None, b"def pytest_runtest_makereport(item, call):\n    x = '\xff\xfe'\n"),
    RawFile("tests/test_bin.py", None, b"\x00\x01\x02"),
    RawFile("tests/test_deep.py", None, "def test_d():\n    assert " + "(" * 300 + "1" + ")" * 300 + "\n"),
    RawFile("tests/test_nest.py", None, "def test_n():\n" + "".join("    " * i + "if x:\n" for i in range(1, 90)) + "    " * 90 + "assert True\n"),
    RawFile("pytest.ini", "[pytest]\naddopts = -ra\n", "[pytest\naddopts = -k x\n"),
    RawFile("pyproject.toml", "[tool.pytest.ini_options]\n", "[tool.pytest.ini_options\n = ]]\n"),
    RawFile(".github/workflows/ci.yml", None, "jobs: [\n  - run: pytest || true\n"),
    RawFile(".gitlab-ci.yml", None, "a: &a [*a]\n"),
    RawFile("tox.ini", None, "[testenv]\ncommands =\n  - pytest\n[testenv\n"),
    RawFile("Makefile", None, "test:\n\t-pytest\n"),
    RawFile("noxfile.py", None, "import nox\n@nox.session\ndef t(s):\n    s.run(*args, success_codes=codes)\n"),
    RawFile("x.pth", None, "import\n"),
    RawFile("tests/test_quote.py", None, "def test_q():\n    assert '''\n"),
]


def test_hostile_input_never_crashes_a_rule():
    cs = build(HOSTILE)
    run_rules(cs, MINE)
    assert not [e for e in cs.errors if e.path.startswith("<rule")]


def test_every_family_rule_is_tampering_with_a_page():
    ids = [r.id for r in MINE]
    assert ids == sorted(set(ids)) and len(ids) >= 20
    for r in MINE:
        assert get_rule(r.name) is r and r.kind.value == "tampering"


def test_files_inside_a_transcript_are_judged_by_their_inner_path():
    forging = ("import pytest\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
               "    outcome = yield\n    rep = outcome.get_result()\n    rep.outcome = 'passed'\n")
    found = scan([RawFile("rollout.md::conftest.py", None, forging),
                  RawFile("rollout.md::pytest.ini", None, "[pytest]\naddopts = -k 'not slow_case'\n"),
                  RawFile("rollout.md::.github/workflows/ci.yml", None, "jobs:\n  t:\n    steps:\n      - run: pytest || true\n")])
    got = {(f.rule_id, f.path.split("::")[1], f.severity) for f in found}
    assert ("SG201", "conftest.py", Severity.CRITICAL) in got
    assert ("SG205", "pytest.ini", Severity.HIGH) in got
    assert ("SG206", ".github/workflows/ci.yml", Severity.HIGH) in got


def test_a_removed_option_takes_its_tests_with_it():
    prod_before = "def connect(url, *, legacy_tls=False):\n    return url\n"
    prod_after = "def connect(url):\n    return url\n"
    tests_before = ("from pkg import connect\n\ndef test_legacy_tls():\n    assert connect('u', legacy_tls=True) == 'u'\n\n"
                    "def test_connect():\n    assert connect('u') == 'u'\n")
    tests_after = "from pkg import connect\n\ndef test_connect():\n    assert connect('u') == 'u'\n"
    found = by_rule(scan([RawFile("src/pkg/net.py", prod_before, prod_after),
                          RawFile("tests/test_net.py", tests_before, tests_after)]), "SG102")
    assert [f.severity for f in found] == [Severity.LOW]


def test_narrowing_through_environment_and_override_ini():
    wf_before = "jobs:\n  t:\n    steps:\n      - run: pytest\n"
    wf_after = ("jobs:\n  t:\n    env:\n      PYTEST_ADDOPTS: --deselect tests/test_a.py::test_b\n    steps:\n"
                "      - run: PYTEST_ADDOPTS='-k \"not hard\"' pytest -o python_functions=check_*\n")
    found = by_rule(scan([RawFile(".github/workflows/ci.yml", wf_before, wf_after)]), "SG205")
    assert {(f.line, f.message.split("`")[1]) for f in found} == {
        (4, "--deselect tests/test_a.py::test_b"), (6, "-k not hard"), (6, "-o python_functions=check_*")}
    assert all(f.severity is Severity.MEDIUM for f in found)


def test_mocking_the_stdlib_or_local_classes_is_low_and_the_product_high():
    found = by_rule(scan(_fixture("SG110_mocked_subject.py", "tests/test_calc.py")), "SG110")
    text = (FIXTURES / "SG110_mocked_subject.py").read_text().splitlines()
    sev = {text[f.line - 1].strip().split("  #")[0]: f.severity for f in found}
    assert sev['@patch("calc.add", return_value=5)'] is Severity.HIGH
    assert sev['mocker.patch.object(s, "solve", return_value=42)'] is Severity.HIGH
    assert sev['mocker.patch("os.listdir", return_value=["x"])'] is Severity.LOW
    assert sev['mocker.patch.object(g, "hello", return_value="mocked")'] is Severity.LOW


def test_tests_moved_into_an_uncollected_module_are_not_a_move():
    text = "def test_a():\n    assert f() == 1\n"
    found = scan([RawFile("tests/test_a.py", text, None), RawFile("tests/helpers.py", None, text)])
    assert [(f.rule_id, f.severity) for f in by_rule(found, "SG101")] == [("SG101", Severity.HIGH)]


# -- SG106: the severity follows what else the change did ------------------------------------------

_TEST_BEFORE = "from pkg.fib import fib\n\n\ndef test_fib():\n    assert fib(10) == 55\n"
_TEST_AFTER = _TEST_BEFORE.replace("55", "89")


def test_expected_value_changed_alone_is_medium() -> None:
    """No product change could explain the new expectation: the cheat's shape."""
    found = by_rule(scan([RawFile("tests/test_fib.py", _TEST_BEFORE, _TEST_AFTER)]), "SG106")
    assert [f.severity for f in found] == [Severity.MEDIUM]
    assert "no product code" in found[0].message


def test_expected_value_changed_with_a_product_change_stays_low() -> None:
    product = RawFile("src/pkg/fib.py", "def fib(n):\n    return n\n", "def fib(n):\n    return n + 1\n")
    found = by_rule(scan([RawFile("tests/test_fib.py", _TEST_BEFORE, _TEST_AFTER), product]), "SG106")
    assert [f.severity for f in found] == [Severity.LOW]


def test_agent_profile_raises_every_test_edit(tmp_path: Path) -> None:
    from specgap.config import Config, ConfigError, from_table
    from specgap.run import scanning

    product = RawFile("src/pkg/fib.py", "def fib(n):\n    return n\n", "def fib(n):\n    return n + 1\n")
    cs = build([RawFile("tests/test_fib.py", _TEST_BEFORE, _TEST_AFTER), product])
    default = scanning.scan(cs, Config(select=("SG106",)))
    cs = build([RawFile("tests/test_fib.py", _TEST_BEFORE, _TEST_AFTER), product])
    agent = scanning.scan(cs, from_table({"select": ["SG106"], "profile": "agent"}, "cfg"))
    assert [f.severity for f in default.findings] == [Severity.LOW] and not default.fails()
    assert [f.severity for f in agent.findings] == [Severity.MEDIUM] and agent.fails()
    assert agent.summary["profile"] == "agent"
    with pytest.raises(ConfigError, match="profile"):
        from_table({"profile": "strict"}, "cfg")


def test_hunk_only_findings_name_the_function_from_the_hunk_header() -> None:
    """A diff without its repository shows a hunk's enclosing def only in its `@@ ... @@` header."""
    diff = (
        "--- a/tests/test_fib.py\n+++ b/tests/test_fib.py\n"
        "@@ -10,2 +10,2 @@ def test_fib():\n     x = 1\n-    assert fib(10) == 55\n+    assert fib(10) == 89\n"
        "--- a/tests/test_other.py\n+++ b/tests/test_other.py\n"
        "@@ -30,2 +30,2 @@ class TestFib:\n     x = 1\n-    assert fib(11) == 89\n+    assert fib(11) == 90\n"
        "--- a/src/solve.py\n+++ b/src/solve.py\n"
        "@@ -1,1 +1,2 @@\n+import sys\n import os\n"
        "@@ -10,2 +11,3 @@ async def solve(a, b):\n     x = 1\n+    if a == 3: sys.exit(0)\n     return x\n"
        "@@ -40,2 +42,3 @@ SETTINGS = {\n     x = 1\n+    if a == 4: sys.exit(0)\n     return x\n"
    )
    found = run_rules(load_diff(diff), [get_rule("SG106"), get_rule("SG301")])
    messages = {(f.path, f.line): f.message for f in found}
    assert messages[("tests/test_fib.py", 11)].startswith("test test_fib: ")
    assert messages[("tests/test_other.py", 31)].startswith("test in a function outside the hunk: ")
    assert "inside solve()" in messages[("src/solve.py", 12)]
    assert "in a function outside the hunk" in messages[("src/solve.py", 43)]
    assert not any("?()" in m for m in messages.values())


def test_agent_guardrail_severities() -> None:
    found = scan([RawFile(".claude/settings.json", '{"hooks": {"x": 1}}\n', '{"hooks": {}}\n'),
                  RawFile("AGENTS.md", None, "Be brief.\n"),
                  RawFile("sub/.claude/hooks/check.sh", "pytest\n", None),
                  RawFile("docs/CLAUDE.md.txt", None, "not the agent's file\n")])
    assert {(f.path, f.severity) for f in by_rule(found, "SG214")} == {
        (".claude/settings.json", Severity.MEDIUM), ("AGENTS.md", Severity.LOW),
        ("sub/.claude/hooks/check.sh", Severity.MEDIUM)}


def test_expected_value_change_is_not_explained_by_prose() -> None:
    readme = RawFile("README.md", "old\n", "new\n")
    found = by_rule(scan([RawFile("tests/test_fib.py", _TEST_BEFORE, _TEST_AFTER), readme]), "SG106")
    assert [f.severity for f in found] == [Severity.MEDIUM]


def test_sg215_severity_follows_how_much_of_the_gate_is_switched_off() -> None:
    sg215 = [get_rule("SG215")]
    before = '[tool.ruff.lint]\nignore = ["E501"]\n[tool.coverage.report]\nfail_under = 90\n[tool.mypy]\nstrict = true\n'
    one_code = before.replace('["E501"]', '["E501", "B008"]')
    found = scan([RawFile("pyproject.toml", before, one_code)], sg215)
    assert [(f.severity, "B008" in f.message) for f in found] == [(Severity.LOW, True)]
    lowered = before.replace("90", "75")
    assert [f.severity for f in scan([RawFile("pyproject.toml", before, lowered)], sg215)] == [Severity.MEDIUM]
    # tightened: more checks, a higher bar, strict still on
    tighter = before.replace('["E501"]', "[]").replace("90", "95")
    assert scan([RawFile("pyproject.toml", before, tighter)], sg215) == []
    # a new project's config is its baseline, and a broken one is the loader's to report
    assert scan([RawFile("pyproject.toml", None, lowered)], sg215) == []
    assert scan([RawFile("pyproject.toml", before, "[tool.mypy\nstrict = ")], sg215) == []
    assert scan([RawFile("mypy.ini", "[mypy]\nstrict = True\n", "[mypy]\nstrict = True\n[mypy-pkg.*]\nignore_errors = True\n")],
                sg215)[0].severity == Severity.MEDIUM
    # a family ignored project-wide is medium; with `select` growing in the same change it is a retune
    family = before.replace('["E501"]', '["E501", "D"]')
    assert [f.severity for f in scan([RawFile("pyproject.toml", before, family)], sg215)] == [Severity.MEDIUM]
    retune = family.replace("[tool.ruff.lint]\n", '[tool.ruff.lint]\nselect = ["ALL"]\n')
    retune_before = before.replace("[tool.ruff.lint]\n", '[tool.ruff.lint]\nselect = ["E", "F"]\n')
    assert {f.severity for f in scan([RawFile("pyproject.toml", retune_before, retune)], sg215)} == {Severity.LOW}
    # ruff configured for the first time in an existing pyproject.toml: its baseline
    first = '[project]\nname = "x"\n'
    assert scan([RawFile("pyproject.toml", first, first + '[tool.ruff.lint]\nignore = ["ALL"]\n')], sg215) == []


def test_sg213_quiet_on_the_files_of_a_walked_tree_but_not_on_a_file_named_alone(tmp_path) -> None:
    import specgap

    (tmp_path / "pkg").mkdir()
    f = tmp_path / "pkg" / "core.py"
    f.write_text("import yaml  # type: ignore\n\n\ndef cover():  # pragma: no cover\n    return 1\n")
    walked = specgap.scan_files([tmp_path / "pkg"], config=specgap.Config())
    assert not [x for x in walked.findings if x.rule_id == "SG213"]
    named = specgap.scan_files([f], config=specgap.Config())
    assert [x.line for x in named.findings if x.rule_id == "SG213"] == [1, 4]


def test_sg113_medium_only_when_nothing_explains_the_new_input() -> None:
    import test_rules

    raws = test_rules._load(FIXTURES / "SG113_assertion_subject_changed.py")
    found = {f.line: f.severity for f in scan(raws, [get_rule("SG113")])}
    # `== True` holds for many inputs: moving it to another one is a new case as often as not
    assert found == {8: Severity.MEDIUM, 13: Severity.MEDIUM, 17: Severity.LOW, 22: Severity.MEDIUM}
    product = RawFile("src/fib.py", "def fib(n):\n    return n\n", "def fib(n):\n    return n - 1\n")
    assert {f.severity for f in scan(raws + [product], [get_rule("SG113")])} == {Severity.LOW}


def _with_real_tests(sampler: str) -> list:
    """(tree, test functions) of a sampler and of this repository's own test files."""
    import ast
    from pathlib import Path

    from specgap.analysis import testfns as tf

    sources = [sampler] + [p.read_text(encoding="utf-8") for p in sorted(Path(__file__).parent.rglob("test_*.py"))]
    return [(tree, tf.test_functions(tree)) for tree in map(ast.parse, sources)]


_TAUTOLOGY_SAMPLER = '''
import pytest, unittest
from numpy.testing import assert_equal


def test_everywhere():
    assert True
    x = assert_equal(1, 1)
    with pytest.raises(ValueError), self.assertTrue(1):
        assert 1 == 1; assert (a, "msg")
    try:
        pass
    except Exception:
        assert x is x
    else:
        assert_equal(x, x)
    finally:
        assert len(y) >= 0
    for i in range(3):
        assert_equal(i, i)
    def nested():
        assert True
    class Inner:
        assert True
    lambda: assert_equal(1, 1)
    f(assert_equal(1, 1))
    assert_equal
    return assert_equal(2, 2)


async def test_awaited():
    await assert_equal(1, 1)
    async with assert_equal(1, 1):
        pass
    r: int = assert_equal(3, 3)
    r += assert_equal(4, 4)


class TestCase(unittest.TestCase):
    def test_method(self):
        self.assertTrue(True)
        self.assertEqual(self.x, self.x)
        self.assertIsNone(None)
        self.assertFalse(0)
        self.failUnless(1)

    def helper(self):
        assert True
'''


def test_tautological_checks_from_the_index_are_those_of_each_tests_checks() -> None:
    """SG104 finds checks that cannot fail from the file's index; they must be exactly those
    `testfns.checks` collects for each test, in source order (on a sampler and real test files)."""
    from specgap.analysis import testfns as tf
    from specgap.analysis.context import context
    from specgap.rules.tests.sg104_tautological_assertion import _tautological_checks

    compared = 0
    for tree, tests in _with_real_tests(_TAUTOLOGY_SAMPLER):
        fast = _tautological_checks(context(tree), tests)
        for t in tests:
            slow = [(c, why) for c in tf.checks(t.node, tf.helper_names(tree)) if (why := tf.check_tautology(c))]
            slow.sort(key=lambda f: (f[0].lineno, f[0].col_offset))
            assert fast.get(id(t.node), []) == slow, t.qualname
            compared += len(slow)
    assert compared >= 20


_SKIP_SAMPLER = '''
import pytest, unittest
from unittest import SkipTest


def test_calls():
    pytest.skip("x")


def test_guarded():
    if sys.platform == "win32":
        pytest.xfail("y")
    for i in range(2):
        with ctx():
            pytest.importorskip("numpy")


def test_raise():
    try:
        pass
    except ImportError:
        raise unittest.SkipTest("z")


def test_through_call():
    pytest.skip()("?")


def test_nothing():
    assert 1


class TestC(unittest.TestCase):
    def test_m(self):
        self.skipTest("w")
'''


def test_tests_passed_over_for_body_skips_have_none() -> None:
    """SG107 visits only the bodies of tests with a raise or a skip-named call inside; every test
    with a body skip must be among them (on a sampler and real test files)."""
    from specgap.analysis import testfns as tf
    from specgap.analysis.context import context
    from specgap.rules.tests.sg107_skip_added import _may_skip_in_body

    with_skips = 0
    for tree, tests in _with_real_tests(_SKIP_SAMPLER):
        visited = _may_skip_in_body(context(tree), tests)
        for t in tests:
            if list(tf.body_skips(t.node)):
                with_skips += 1
                assert id(t.node) in visited, t.qualname
        assert len(visited) <= len(tests)
    assert with_skips >= 6
