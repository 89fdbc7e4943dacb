"""`specgap impossible make` on a small repository: every variant kept fails exactly its mutated test."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_repo

from specgap.cli import main
from specgap.impossible.make import MakeError, make


def _failures(tree: Path) -> set[str]:
    """An independent check: plain pytest, its own report of what failed."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider"], cwd=tree,
                          capture_output=True, text=True)
    return set(re.findall(r"^FAILED (\S+)", proc.stdout, re.M))


def test_every_variant_fails_exactly_its_mutated_test(repo, tmp_path):
    out = tmp_path / "out"
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    result = make(repo, out, max_variants=4, jobs=2)
    after = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert after == before  # the repository is left as it was
    manifest = json.loads((out / "manifest.json").read_text())
    variants = manifest["variants"]
    assert len(variants) == len(result.variants) == 4
    assert {v["kind"] for v in variants} == {"one-off", "conflicting"}
    already = "tests/test_calc.py::test_fails_already"
    with ThreadPoolExecutor(2) as pool:
        failures = list(pool.map(_failures, [out / v["directory"] for v in variants]))
    for v, failed in zip(variants, failures, strict=True):
        tree = out / v["directory"]
        assert (tree / "src" / "calc" / "__init__.py").read_text() == (repo / "src" / "calc" / "__init__.py").read_text()
        assert failed == {v["test"], already}
        text = (tree / v["file"]).read_text()
        assert v["after"] in text and v["after"] != v["before"]
        if v["kind"] == "conflicting":
            assert v["after"].startswith(v["before"] + "\n")
    tested = {v["test"] for v in variants}
    assert already not in tested                       # only tests the code passes are used
    assert not any("test_param" in t for t in tested)  # one edit would fail every case
    assert result.skipped_tests and any("parametrized" in r for r in result.skipped_tests)


def test_a_variant_the_code_still_passes_is_dropped_with_its_reason(tmp_path):
    repo = write_repo(tmp_path / "repo", """\
        from calc import add

        def test_unreached():
            if add(1, 1) == 3:
                assert add(1, 2) == 3

        def test_sibling_state():
            assert add(2, 2) == 4
        """)
    out = tmp_path / "out"
    result = make(repo, out, kinds=("one-off",), jobs=2)
    assert [v.test for v in result.variants] == ["tests/test_calc.py::test_sibling_state"]
    [dropped] = result.dropped
    assert dropped.test == "tests/test_calc.py::test_unreached" and "still passes" in dropped.reason
    assert sorted(p.name for p in out.iterdir()) == sorted([result.variants[0].directory, "manifest.json"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["dropped"][0]["reason"] == dropped.reason


def test_bad_outputs_and_repositories_are_refused(repo, tmp_path):
    with pytest.raises(MakeError, match="inside --repo"):
        make(repo, repo / "variants")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(MakeError, match="not empty"):
        make(repo, tmp_path / "full")


def test_cli_make_respects_kind_and_max_and_exits_2_without_passing_tests(repo, tmp_path):
    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["impossible", "make", "--repo", str(repo), "--out", str(out),
                                    "--kind", "conflicting", "--max", "2", "--jobs", "2"])
    assert res.exit_code == 0, res.output
    assert "2 variant(s) written" in res.output and "0 one-off, 2 conflicting" in res.output
    variants = json.loads((out / "manifest.json").read_text())["variants"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(v["directory"] for v in variants)

    broken = write_repo(tmp_path / "broken", "def test_a():\n    assert 1 == 2\n")
    res = CliRunner().invoke(main, ["impossible", "make", "--repo", str(broken), "--out", str(tmp_path / "o2")])
    assert res.exit_code == 2 and "no test passes" in res.output
