"""Whole-tree scans in a process pool find exactly what one process finds; units travel by pickle."""

from __future__ import annotations

import importlib.util
import pickle
import shutil
from pathlib import Path

import pytest

import specgap
from specgap.engine import evaluate
from specgap.inputs import load_files, load_trees
from specgap.rules import scan_rules
from specgap.run import shards


def _package_copy(name: str, dest: Path) -> Path:
    """An installed package's sources, copied without install artifacts (bytecode, extensions)."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations
    src = Path(next(iter(spec.submodule_search_locations)))
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"))
    return dest


def _same(a: specgap.ScanResult, b: specgap.ScanResult) -> None:
    assert a.findings == b.findings  # finding for finding, order and fingerprints included
    assert a.errors == b.errors
    assert a.summary == b.summary


@pytest.fixture
def many_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    # small parts, so a package of ~100 files is split many ways and every part boundary is tested
    monkeypatch.setattr(shards, "MIN_PART_FILES", 8)


@pytest.mark.slow
def test_pool_finds_what_one_process_finds_on_a_real_package(tmp_path: Path, many_parts: None) -> None:
    tree = _package_copy("hypothesis", tmp_path / "hypothesis")
    # and something for the cross-file rules to see: tests that pin special cases, a stub module
    (tree / "tests").mkdir()
    (tree / "tests" / "test_special.py").write_text("from hypothesis import x\n\ndef test_x():\n    assert x.f(41) == 7\n")
    (tree / "x.py").write_text("def f(n):\n    if n == 41:\n        return 7\n    return n\n")
    (tree / "conftest.py").write_text("import sys\n\ndef pytest_sessionfinish(session):\n    session.exitstatus = 0\n")
    # and input errors, of reading and of parsing, in several parts (the same errors, in the same order)
    for i, sub in enumerate(["", "strategies/", "internal/"]):
        (tree / f"{sub}broken_{i}.py").write_text("def f(:\n")
        (tree / f"{sub}latin1_{i}.py").write_bytes(b"x = '\xff'\n")
    assert len(shards.split(load_files([tree]).files, 2)) > 4
    single = specgap.scan_files([tree], config=specgap.Config(), jobs=1)
    pooled = specgap.scan_files([tree], config=specgap.Config(), jobs=2)
    assert single.findings and {f.rule_id for f in single.findings} >= {"SG402"}
    assert sum("syntax error" in e.message for e in single.errors) == 3
    _same(single, pooled)


@pytest.mark.slow
def test_pool_finds_what_one_process_finds_between_two_trees(tmp_path: Path, many_parts: None) -> None:
    before = _package_copy("click", tmp_path / "before")
    after = tmp_path / "after"
    shutil.copytree(before, after)
    changed = sorted(after.rglob("*.py"))
    for i, f in enumerate(changed):  # edit every file a little, and some a lot
        text = f.read_text()
        f.write_text(text + ("\nimport os\nos._exit(0)\n" if i % 7 == 0 else "\n# touched\n"))
    changed[3].unlink()
    single = specgap.scan_trees(before, after, config=specgap.Config(), jobs=1)
    pooled = specgap.scan_trees(before, after, config=specgap.Config(), jobs=2)
    assert single.findings
    _same(single, pooled)


def test_small_scans_stay_in_process(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    assert shards.split([tmp_path / "a.py"] * 10, 8) == []
    assert shards.split(list(range(1000)), 1) == []
    parts = shards.split(list(range(1000)), 2)
    assert [x for p in parts for x in p] == list(range(1000))  # consecutive, nothing lost


def test_jobs_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        specgap.scan_files([tmp_path], config=specgap.Config(), jobs=0)


def test_a_unit_and_its_outcome_survive_pickling(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("from pkg import f\n\ndef test_f():\n    assert f(3) == 9\n")
    (tmp_path / "pkg.py").write_text("import sys\n\ndef f(n):\n    if n == 3:\n        return 9\n    sys.exit(0)\n")
    before, after = tmp_path / "before", tmp_path / "after"
    shutil.copytree(tmp_path / "tests", before / "tests")
    shutil.copytree(tmp_path, after, ignore=shutil.ignore_patterns("before", "after"))
    rules = scan_rules()
    for unit in (load_files([tmp_path / "pkg.py", tmp_path / "tests"]), load_trees(before, after)):
        copy = pickle.loads(pickle.dumps(unit))
        assert [f.path for f in copy.files] == [f.path for f in unit.files]
        outcome = evaluate(copy, rules)
        assert outcome.findings == evaluate(unit, rules).findings
        assert outcome.findings  # the special case and the exit are found on the copy too
        assert pickle.loads(pickle.dumps(outcome)) == outcome


@pytest.mark.slow
def test_cli_jobs_gives_the_same_report(tmp_path: Path, many_parts: None) -> None:
    from click.testing import CliRunner

    from specgap.cli import main

    tree = _package_copy("click", tmp_path / "click")
    runner = CliRunner()
    one = runner.invoke(main, ["scan", "--isolated", "--format", "json", "--files", str(tree), "--jobs", "1"])
    two = runner.invoke(main, ["scan", "--isolated", "--format", "json", "--files", str(tree), "--jobs", "2"])
    assert one.exit_code == two.exit_code and one.stdout == two.stdout
    bad = runner.invoke(main, ["scan", "--files", str(tree), "--jobs", "0"])
    assert bad.exit_code == 2 and "--jobs" in bad.output


def test_git_and_diff_units_pickle_with_their_lazy_context(tmp_path: Path) -> None:
    import subprocess

    from specgap.inputs import load_diff, load_git

    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
                               *args], cwd=tmp_path, check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("from pkg import f\n\ndef test_f():\n    assert f(3) == 9\n")
    (tmp_path / "pkg.py").write_text("def f(n):\n    return n\n")
    git("add", "-A")
    git("commit", "-qm", "base")
    (tmp_path / "pkg.py").write_text("def f(n):\n    if n == 3:\n        return 9\n    return n\n")
    rules = scan_rules()
    for unit in (load_git(tmp_path), load_diff(git("diff"), repo=tmp_path)):
        copy = pickle.loads(pickle.dumps(unit))  # before its context (the repo's unchanged tests) is read
        found = evaluate(copy, rules).findings
        assert found == evaluate(unit, rules).findings
        assert "SG402" in {f.rule_id for f in found}  # the special case answers the unchanged test


def _pid_after(seconds: float) -> int:
    import os
    import time

    time.sleep(seconds)
    return os.getpid()


@pytest.mark.slow
def test_the_caller_runs_what_no_worker_has_started() -> None:
    """While it waits, the calling process takes items from the back of the queue: every item is
    run once, results keep their order, and progress counts each item once."""
    import os

    from specgap.run.pool import LocalPool

    pool = LocalPool(1)
    done: list[int] = []
    try:
        pids = pool.submit(_pid_after, [0.3] * 6, done.append).results()
    finally:
        pool.close()
    assert len(pids) == 6 and sum(done) == 6
    assert pids[-1] == os.getpid()  # the last item was never started by the one worker
    assert pids[0] != os.getpid()


def _small_tree(root: Path) -> Path:
    """Tests that pin a special case and a constant answer, a stub module, broken and latin-1 files."""
    (root / "tests").mkdir(parents=True)
    for i in range(12):
        (root / "tests" / f"test_{i}.py").write_text(f"from pkg import f, g\n\ndef test_{i}():\n    assert f({i}) == {i * i}\n"
                                                    f"    assert g('word {i}') == 'answer'\n")
        (root / f"mod_{i}.py").write_text(f"def h{i}(n):\n    if n > 2:\n        return n - 1\n    return n\n")
    (root / "pkg.py").write_text("def f(n):\n    if n == 7:\n        return 49\n    return n * n\n\n"
                                 "def g(s):\n    return 'answer'\n")
    (root / "json.py").write_text("def loads(s):\n    return {}\n")
    (root / "broken.py").write_text("def f(:\n")
    (root / "tests" / "latin1.py").write_bytes(b"x = '\xff'\n")
    return root


def test_parts_note_for_the_rules_that_read_across_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         many_parts: None) -> None:
    """Evaluated in parts (in this process), a change gets what one process gets; the rules that read
    across files work from the parts' notes, and their main pass parses only the files they read."""
    from specgap.inputs.changeset import OnDemand
    from specgap.inputs.files import entries, load_entries
    from specgap.run.pool import InProcess

    tree = _small_tree(tmp_path / "t")
    items = entries([tree])
    rules = scan_rules()
    single = evaluate(load_entries(items, on_demand=True), rules)
    assert {f.rule_id for f in single.findings} >= {"SG402", "SG408"} and single.errors
    parsed: list[str] = []
    real = OnDemand._parse

    def counted(self: OnDemand) -> None:
        parsed.append(self._path)
        real(self)

    monkeypatch.setattr(OnDemand, "_parse", counted)
    parts = [shards.FilesPart(tuple(p)) for p in shards.split(items, 2)] or pytest.fail("not split")
    unit, pooled = shards.evaluate_parts(lambda: load_entries(items, on_demand=True), parts, rules, None, InProcess())
    assert pooled.findings == single.findings and pooled.errors == single.errors
    python = [cf.path for cf in unit.files if isinstance(cf.after, OnDemand)]
    # every file once in the parts, then only the product files with a candidate, for SG402 and SG408
    assert sorted(parsed[:len(python)]) == sorted(python) and sorted(parsed[len(python):]) == ["pkg.py"]
