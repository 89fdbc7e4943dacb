"""A tree scan parses each file when its rules first read it and lets its tree go after them,
keeping only what the rules that read across files say they will read; nothing is lost by it."""

from __future__ import annotations

import ast
import gc
import pickle
from pathlib import Path
from typing import Iterator

import specgap
from specgap.analysis.context import context
from specgap.engine import evaluate
from specgap.inputs import load_files
from specgap.inputs.changeset import OnDemand, RawFile, build, source
from specgap.model import ChangedFile, ChangeSet, FileRole, Finding, InputError
from specgap.rules import scan_rules
from specgap.rules.base import Rule

PRODUCT = "def f(n):\n    return n + 1\n"
TEST = "from pkg import f\n\ndef test_f():\n    assert f(1) == 2\n"


def test_a_file_is_parsed_when_first_read_and_again_after_it_is_let_go() -> None:
    errors: list[InputError] = []
    sf = source(PRODUCT, "pkg/a.py", errors, on_demand=True)
    assert isinstance(sf, OnDemand) and sf.reparsable and sf.parsed is None
    tree = sf.tree
    assert isinstance(tree, ast.Module) and sf.parsed is tree
    sf.unload()
    assert sf.parsed is None
    again = sf.tree
    assert again is not tree and ast.dump(again) == ast.dump(tree)
    assert errors == []


def test_a_parse_failure_is_reported_once_however_often_the_file_is_parsed() -> None:
    errors: list[InputError] = []
    sf = source("def f(:\n    return 1\n\nx = 2\n", "pkg/broken.py", errors, on_demand=True)
    assert errors == []  # not parsed yet
    assert sf.partial and sf.error and sf.error.startswith("syntax error")
    sf.unload()
    assert sf.tree is not None  # what parses of it, again
    assert [e.path for e in errors] == ["pkg/broken.py"]
    eager: list[InputError] = []
    assert source(sf.text, "pkg/broken.py", eager).error == sf.error and eager == errors


def test_a_file_parsed_on_demand_travels_by_pickle() -> None:
    sf = source(PRODUCT, "pkg/a.py", [], on_demand=True)
    copy = pickle.loads(pickle.dumps(sf))
    assert copy.parsed is None and ast.dump(copy.tree) == ast.dump(sf.tree)


class _Local(Rule):
    id, name, family = "SG9990", "local-probe", "tests"

    def check_module(self, cf: ChangedFile, ctx, changeset: ChangeSet) -> Iterator[Finding]:
        return iter(())


class _Cross(Rule):
    """Keeps the test files' trees, notes how many functions each other file defines."""

    id, name, family = "SG9991", "cross-probe", "tests"
    seen: dict[str, object] = {}

    def keeps(self, cf: ChangedFile) -> bool:
        if cf.role is FileRole.TEST:
            return True
        cf.after.notes[self.id] = len(context(cf.after.tree).of(ast.FunctionDef))
        return False

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        for cf in changeset.files:
            # what is at hand when the cross-file rules run, before anything reads a tree again
            _Cross.seen[cf.path] = (cf.after.parsed is not None, cf.after.notes.get(self.id))
        return iter(())


def test_trees_are_let_go_after_their_rules_unless_a_cross_file_rule_keeps_them() -> None:
    unit = build([RawFile("pkg/a.py", None, PRODUCT), RawFile("tests/test_a.py", None, TEST),
                  RawFile("pkg/b.py", None, PRODUCT + PRODUCT.replace("f(", "g("))], on_demand=True)
    _Cross.seen = {}
    evaluate(unit, [_Local, _Cross])
    assert _Cross.seen == {"pkg/a.py": (False, 1), "tests/test_a.py": (True, None), "pkg/b.py": (False, 2)}
    assert all(cf.after.parsed is None for cf in unit.files)  # and every tree is let go at the end


def test_a_change_read_whole_keeps_its_trees() -> None:
    unit = build([RawFile("pkg/a.py", None, PRODUCT), RawFile("tests/test_a.py", None, TEST)])
    trees = [cf.after.tree for cf in unit.files]
    _Cross.seen = {}
    evaluate(unit, [_Local, _Cross])
    assert _Cross.seen == {"pkg/a.py": (True, None), "tests/test_a.py": (True, None)}  # no notes: nothing asked
    assert [cf.after.tree for cf in unit.files] == trees


def test_parse_failures_are_reported_in_file_order_after_the_read_errors(tmp_path: Path) -> None:
    (tmp_path / "a_broken.py").write_text("def f(:\n")
    (tmp_path / "b_bad_utf8.py").write_bytes(b"x = '\xff'\n")
    (tmp_path / "c_broken.py").write_text("class C(\n")
    result = specgap.scan_files([tmp_path], config=specgap.Config())
    assert [(e.path, e.message.split(" ")[0]) for e in result.errors] == [
        ("b_bad_utf8.py", "invalid"), ("a_broken.py", "syntax"), ("c_broken.py", "syntax")]


def test_a_scan_leaves_no_syntax_tree_for_the_garbage_collector(tmp_path: Path) -> None:
    # test classes (nested too), skips, collect_ignore: the analyses that once held trees in cycles
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        "import pytest\n\nclass TestA:\n    class TestB:\n        def test_b(self):\n"
        "            if pytest:\n                pytest.skip('no')\n            assert 1\n"
        "    def test_a(self):\n        assert 2\n\ndef test_c():\n    assert 3\n")
    (tmp_path / "tests" / "conftest.py").write_text("import sys\nif sys:\n    collect_ignore = ['test_y.py']\n")
    (tmp_path / "pkg.py").write_text("def f(n):\n    if n == 41:\n        return 7\n    return n\n")
    unit = load_files([tmp_path])
    was = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        evaluate(unit, scan_rules())
        del unit
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, ast.AST)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()
    assert left == []


class _Grab(Rule):
    id, name, family = "SG9992", "grab-probe", "tests"
    trees: list[ast.AST] = []

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        _Grab.trees = [cf.after.tree for cf in changeset.files]
        return iter(())


def test_nothing_holds_a_tree_once_the_unit_is_evaluated() -> None:
    import sys

    from specgap.rules import get_rule

    unit = build([RawFile("pkg/a.py", None, "def f(n):\n    if n == 41:\n        return 7\n    return n\n"),
                  RawFile("tests/test_a.py", None, "from pkg.a import f\n\ndef test_f():\n    assert f(41) == 7\n"),
                  # one the index never needs to read: it stays pending in it
                  RawFile("tests/test_b.py", None, "def test_g():\n    assert 'abc'.upper() == 'ABC'\n")],
                 on_demand=True)
    found = evaluate(unit, [get_rule("SG402"), get_rule("SG408"), get_rule("SG412"), _Grab]).findings
    assert [f.rule_id for f in found] == ["SG402"]  # the test index was used, and read the test's tree
    # (the test index stays with the unit: it must not keep the trees alive with it)
    alone = [sys.getrefcount(t) for t in [ast.parse("x = 1")]]  # a tree only its list holds, counted alike
    assert [sys.getrefcount(t) for t in _Grab.trees] == alone * 3


class _Broken(Rule):
    id, name, family = "SG9993", "broken-probe", "tests"
    at_hand: list[bool] = []

    def keeps(self, cf: ChangedFile) -> bool:
        raise ValueError("bug in keeps")

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        _Broken.at_hand = [cf.after.parsed is not None for cf in changeset.files]
        return iter(())


def test_a_rule_whose_keeps_fails_is_reported_and_the_trees_stay_for_it() -> None:
    unit = build([RawFile("pkg/a.py", None, PRODUCT), RawFile("tests/test_a.py", None, TEST)], on_demand=True)
    _Cross.seen = {}
    out = evaluate(unit, [_Local, _Broken, _Cross])
    assert [e.path for e in out.errors] == ["<rule SG9993>"] and "bug in keeps" in out.errors[0].message
    assert _Broken.at_hand == [True, True]
    assert _Cross.seen == {"pkg/a.py": (True, 1), "tests/test_a.py": (True, None)}  # the others' notes still made
