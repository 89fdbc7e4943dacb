"""Config: discovery, parsing, validation, and reading it from a base revision."""

from __future__ import annotations

from pathlib import Path

import pytest

from specgap.config import Config, ConfigError, at_revision, discover, from_text, load_file, resolve
from specgap.inputs.roles import classify
from specgap.model import FileRole, Severity
from specgap.rules import all_rules


def _unknown_id() -> str:
    known = {r.id for r in all_rules()}
    return next(f"SG{n:03d}" for n in range(999, 0, -1) if f"SG{n:03d}" not in known)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_pyproject_table_is_read_and_validated() -> None:
    cfg = from_text(
        """
[tool.specgap]
select = ["sg9"]
ignore = ["SG903"]
fail-on = "HIGH"
test-paths = ["checks/**"]
protected = ["grader/**"]
[tool.specgap.per-file-ignores]
"legacy/*.py" = ["SG902"]
""",
        "pyproject.toml", "pyproject.toml",
    )
    assert cfg is not None
    assert cfg.select == ("SG9",) and cfg.ignore == ("SG903",)
    assert cfg.fail_on is Severity.HIGH
    assert cfg.per_file_ignores == (("legacy/*.py", ("SG902",)),)
    roles = cfg.roles()
    assert classify("checks/check_sum.py", roles) is FileRole.TEST
    assert classify("tests/test_x.py", roles) is FileRole.TEST  # defaults are kept
    assert classify("grader/score.py", roles) is FileRole.PROTECTED
    assert classify("checks/check_sum.py", Config().roles()) is FileRole.PRODUCT


def test_pyproject_without_table_configures_nothing() -> None:
    assert from_text("[project]\nname = 'x'\n", "pyproject.toml", "pyproject.toml") is None


@pytest.mark.parametrize(
    "body, fragment",
    [
        ('selct = ["SG9"]', "unknown key(s) selct"),
        ('select = "SG9"', "expected a list of strings"),
        ("select = [901]", "expected a list of strings"),
        ('select = ["E501"]', "not a rule id or prefix"),
        ('fail-on = "severe"', "not a severity"),
        ("fail-on = 3", "expected a string"),
        ('per-file-ignores = ["x"]', "per-file-ignores"),
        ("protected = 1", "protected: expected a list of strings"),
        ('exclude = "build"', "exclude: expected a list of strings"),
        ('profile = "strict"', "profile: expected one of default, agent"),
    ],
)
def test_invalid_values_say_what_and_where(body: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as exc:
        from_text(f"[tool.specgap]\n{body}\n", "pyproject.toml", "some/pyproject.toml")
    assert fragment in str(exc.value)
    assert "some/pyproject.toml" in str(exc.value)


def test_exclude_and_profile_are_read_and_merged() -> None:
    cfg = from_text('[tool.specgap]\nexclude = ["data/**"]\nprofile = "agent"\n', "pyproject.toml", "p")
    assert cfg.exclude == ("data/**",) and cfg.profile == "agent"
    merged = cfg.merged(exclude=("gen",), profile="default")
    assert merged.exclude == ("data/**", "gen") and merged.profile == "default"


def test_an_id_that_names_no_rule_is_rejected() -> None:
    missing = _unknown_id()
    with pytest.raises(ConfigError, match=f"'{missing}' matches no rule"):
        from_text(f'ignore = ["{missing}"]\n', ".specgap.toml", ".specgap.toml")


def test_invalid_toml_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="invalid TOML"):
        from_text("[tool.specgap\nselect = [", "pyproject.toml", "pyproject.toml")
    with pytest.raises(ConfigError, match="nested too deeply"):
        from_text("x = " + "[" * 100_000 + "]" * 100_000, ".specgap.toml", ".specgap.toml")


def test_discovery_walks_up_and_skips_unconfigured_pyprojects(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", '[tool.specgap]\nfail-on = "low"\n')
    _write(tmp_path / "pkg" / "pyproject.toml", "[project]\nname = 'pkg'\n")
    deep = tmp_path / "pkg" / "src" / "mod"
    deep.mkdir(parents=True)
    cfg = discover(deep)
    assert cfg.fail_on is Severity.LOW
    assert cfg.source == str((tmp_path / "pyproject.toml").resolve())


def test_specgap_toml_wins_over_pyproject_in_the_same_directory(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", '[tool.specgap]\nfail-on = "low"\n')
    _write(tmp_path / ".specgap.toml", 'fail-on = "critical"\n')
    assert discover(tmp_path).fail_on is Severity.CRITICAL


def test_discovery_stops_at_the_repository_root(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", '[tool.specgap]\nfail-on = "low"\n')
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    cfg = discover(tmp_path / "repo")
    assert cfg.fail_on is Severity.MEDIUM and cfg.source.startswith("defaults (no config found")


def test_explicit_file_must_configure_specgap(tmp_path: Path) -> None:
    p = _write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match="no \\[tool.specgap\\] table"):
        load_file(p)
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe select")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_file(bad)


def test_isolated_ignores_everything(tmp_path: Path) -> None:
    p = _write(tmp_path / ".specgap.toml", "selct = 1\n")  # invalid, but never read
    assert resolve(config_file=None, isolated=True, start=p.parent).source == "defaults (--isolated)"


def test_config_at_a_revision_reads_through_the_given_reader() -> None:
    files = {"pyproject.toml": b'[tool.specgap]\nignore = ["SG903"]\n'}
    cfg = at_revision(files.get, "main")
    assert cfg.ignore == ("SG903",)
    assert cfg.source == "pyproject.toml at main"
    assert at_revision({}.get, "main").source == "defaults (no config at main)"


def test_command_line_options_merge_over_the_file() -> None:
    base = Config(select=("SG9",), ignore=("SG902",), fail_on=Severity.HIGH, source="x")
    merged = base.merged(ignore=("SG903",), fail_on=Severity.LOW)
    assert merged.select == ("SG9",)
    assert merged.ignore == ("SG902", "SG903")
    assert merged.fail_on is Severity.LOW
    assert base.merged(select=("SG901",)).select == ("SG901",)


def test_a_config_written_by_the_change_gives_way_to_its_old_text(tmp_path: Path) -> None:
    p = _write(tmp_path / ".specgap.toml", 'fail-on = "critical"\n')
    assert resolve(start=tmp_path, written=lambda path: False).fail_on is Severity.CRITICAL
    old = resolve(start=tmp_path, written=lambda path: path == p.resolve(), before=lambda path: 'fail-on = "low"\n')
    assert old.fail_on is Severity.LOW and old.source.endswith("as it was before the change")
    new = resolve(start=tmp_path, written=lambda path: True, before=lambda path: None)
    assert new.fail_on is Severity.MEDIUM and "written by the change" in new.source
