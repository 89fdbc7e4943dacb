"""What the trusted config keeps from the base revision's own pytest config."""

from __future__ import annotations

import pytest

from specgap.verify import baseconfig

from .conftest import HONEST


@pytest.mark.parametrize("name, text", [
    # A TOML list is argv as it stands: the marker expression stays one item.
    ("pyproject.toml", '[tool.pytest.ini_options]\naddopts = ["-ra", "-m", "not stress and not net", "-p", "no:tmpdir"]\n'),
    ("pyproject.toml", "[tool.pytest.ini_options]\naddopts = \"-ra -m 'not stress and not net' -p no:tmpdir\"\n"),
    ("pytest.ini", "[pytest]\naddopts = -ra\n    -m 'not stress and not net'\n    -p no:tmpdir\n"),
    ("setup.cfg", "[tool:pytest]\naddopts = -ra -m \"not stress and not net\" --import-mode=importlib\n"),
])
def test_marker_selection_survives_every_config_form(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    kept = baseconfig.read(tmp_path)["addopts"]
    assert kept[:2] == ["-m", "not stress and not net"]
    assert "-p" not in kept and "-ra" not in kept


def test_list_form_keyword_and_import_mode(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = ["-k", "not slow_case", "--import-mode=importlib", "--deselect", "t.py::x"]\n')
    assert baseconfig.read(tmp_path)["addopts"] == ["-k", "not slow_case", "--import-mode", "importlib"]


def test_a_list_form_marker_selection_of_the_base_is_honoured(scenario):
    # The base deselects a marker in list-form addopts (as packaging does); a test under that
    # marker that cannot pass stays deselected, and the others decide the verdict.
    scenario.rebase({
        "pyproject.toml": '[tool.pytest.ini_options]\naddopts = ["-m", "not stress"]\n'
                          'markers = ["stress: long runs, opt-in"]\n',
        "tests/test_stress.py": "import pytest\n\n@pytest.mark.stress\ndef test_huge():\n    assert False, 'opt-in only'\n",
    })
    scenario.change(HONEST)
    assert scenario.naive().returncode == 0
    out = scenario.verify()
    assert out.verdict.status == "pass", out.output
    assert not any(t.id.endswith("test_huge") and t.status == "passed" for t in out.verdict.tests)


@pytest.mark.parametrize("text", [
    '[tool.pytest.ini_options]\naddopts = "-ra --reruns=2 --only-rerun ConnectionError"\nreruns_delay = 1\n',
    '[tool.pytest.ini_options]\naddopts = ["--reruns", "2", "--only-rerun", "ConnectionError"]\nreruns_delay = 1\n',
])
def test_rerun_settings_are_kept_only_when_the_rerun_plugin_loads(tmp_path, text):
    (tmp_path / "pyproject.toml").write_text(text)
    cfg = baseconfig.read(tmp_path)
    kept, opts = baseconfig.rerun_settings(cfg, ["cov", "rerunfailures"])
    assert opts == ["--reruns", "2", "--only-rerun", "ConnectionError"]
    assert "reruns_delay = 1" in baseconfig.ini_text(kept, tmp_path) and "rerun" not in " ".join(cfg.get("addopts", []))
    dropped, opts = baseconfig.rerun_settings(cfg, ["cov"])
    assert opts == [] and "reruns" not in baseconfig.ini_text(dropped, tmp_path)


@pytest.mark.parametrize("text", [
    '[tool.pytest.ini_options]\naddopts = "-ra --flake-finder --flake-runs=4 --flake-max-minutes 1 --reruns 1"\n',
    '[tool.pytest.ini_options]\naddopts = ["--flake-finder", "--flake-runs", "4", "--flake-max-minutes=1", "--reruns=1"]\n',
])
def test_flakefinder_copies_are_kept_without_its_time_bound_when_it_loads(tmp_path, text):
    # Its time bound turns the copies left when time is up into skips: a slow change would skip tests.
    (tmp_path / "pyproject.toml").write_text(text)
    cfg = baseconfig.read(tmp_path)
    assert baseconfig.rerun_settings(cfg, ["flakefinder"])[1] == ["--flake-finder", "--flake-runs", "4"]
    assert baseconfig.rerun_settings(cfg, ["flakefinder", "rerunfailures"])[1] == [
        "--reruns", "1", "--flake-finder", "--flake-runs", "4"]
    assert baseconfig.rerun_settings(cfg, ["cov"])[1] == []
    assert "flake" not in baseconfig.ini_text(cfg, tmp_path)
    # --flake-runs alone does nothing in plain pytest, and nothing here.
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "--flake-runs=4"\n')
    assert baseconfig.rerun_settings(baseconfig.read(tmp_path), ["flakefinder"])[1] == []
