"""The public API is what bench/, verify and users need, and importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import specgap


def test_import_specgap_loads_neither_engine_nor_rules() -> None:
    code = ("import sys, specgap; heavy = [m for m in sys.modules if m.startswith(('specgap.', 'click', 'rich', 'polars'))]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_public_name_resolves() -> None:
    for name in specgap.__all__:
        assert getattr(specgap, name) is not None


def test_scan_trees_is_public(tmp_path: Path) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    (before / "tests").mkdir(parents=True)
    (before / "tests" / "test_a.py").write_text("def test_a():\n    assert 1 + 1 == 2\n")
    (after / "tests").mkdir(parents=True)
    (after / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    result = specgap.scan_trees(before, after, config=specgap.Config())
    assert [f.rule_id for f in result.findings] == ["SG103"]


ALWAYS_EQUAL = "class Money:\n    def __eq__(self, other):\n        return True\n"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
                   cwd=repo, check=True, capture_output=True)


def test_verify_static_pass_uses_the_base_revisions_config(tmp_path: Path) -> None:
    from specgap.verify.session import scan_findings

    _git(tmp_path, "init", "-q")
    (tmp_path / "pyproject.toml").write_text('[tool.specgap]\nignore = ["SG401"]\n')
    (tmp_path / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "base")
    (tmp_path / "calc.py").write_text(ALWAYS_EQUAL)
    # the change also tries to turn SG401 back on: the base's config decides, not the change's
    (tmp_path / "pyproject.toml").write_text('[tool.specgap]\nignore = ["SG9"]\n')
    findings, note = scan_findings(tmp_path, "HEAD")
    assert note == ""
    assert "SG401" not in {f.rule_id for f in findings}
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "no config")
    (tmp_path / "calc.py").write_text(ALWAYS_EQUAL)
    findings, _ = scan_findings(tmp_path, "HEAD")
    assert "SG401" in {f.rule_id for f in findings}


def test_all_lists_exactly_the_lazy_names() -> None:
    assert set(specgap.__all__) == set(specgap._PUBLIC) | {"__version__"}
