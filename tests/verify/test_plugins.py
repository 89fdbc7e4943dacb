"""Installed pytest plugins load as plain pytest loads them, unless the change can reach their code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from specgap.verify import baseconfig, plugins

from .conftest import HONEST, bare_venv
from .test_venv import _copy_distribution

USES_PLUGIN = {
    "tests/test_tiny.py": """
        from calc import add

        def test_answer(tiny_answer):
            assert add(40, 2) == tiny_answer
        """,
}
# The change's own code, offered as a plugin: loading it would stop the run.
HOSTILE_PLUGIN = "def pytest_configure(config):\n    raise SystemExit('the change loaded its own plugin')\n"


def _dist(site: Path, name: str, entry_points: str, files: dict[str, str] = {}) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    for rel, text in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)


@pytest.fixture
def venv(tmp_path) -> tuple[Path, Path]:
    """A venv with pytest, a plugin distribution (fixture `tiny_answer`), and the metadata of an
    editable install of the project under test that declares plugins living in the repository."""
    home = tmp_path / "env"
    python, site = bare_venv(home)
    _copy_distribution("pytest", site, set())
    _dist(site, "tinyplug", "[pytest11]\ntiny = tinyplug.plugin\n", {
        "tinyplug/__init__.py": "",
        "tinyplug/plugin.py": "import pytest\n\n@pytest.fixture\ndef tiny_answer():\n    return 42\n",
    })
    _dist(site, "calc", "[pytest11]\ncalcplug = calc.plug\nhelpers = calc_helpers.plug\n")
    return python, site


def test_an_installed_plugin_is_autoloaded(scenario, venv):
    python, _ = venv
    scenario.rebase(USES_PLUGIN).change(HONEST)
    out = scenario.verify(python=str(python))
    assert out.verdict.status == "pass", out.output
    assert scenario.verify(python=str(python), autoload=False).verdict.status == "fail"


def test_plugins_whose_code_is_in_the_repository_never_load(scenario, venv):
    python, site = venv
    # An editable install points into the repository (a path line), and the change writes the
    # plugin modules its metadata names: one under the package, one beside it.
    (site / "__editable__.calc.pth").write_text(f"{scenario.repo / 'tools'}\n")
    scenario.rebase(USES_PLUGIN).change({**HONEST, "calc/plug.py": HOSTILE_PLUGIN,
                                         "tools/calc_helpers/__init__.py": "", "tools/calc_helpers/plug.py": HOSTILE_PLUGIN})
    out = scenario.verify(python=str(python))
    assert out.verdict.status == "pass", out.output
    assert "loaded its own plugin" not in out.output


def test_which_entry_points_load(tmp_path):
    site, repo = tmp_path / "site", tmp_path / "repo"
    (repo / "src" / "proj").mkdir(parents=True)
    (repo / "vendored").mkdir()
    _dist(site, "good", "[pytest11]\ngood = goodplug:plugin\n[console_scripts]\nx = y\n", {"goodplug.py": ""})
    _dist(site, "off", "[pytest11]\noff = offplug\n", {"offplug/__init__.py": ""})
    _dist(site, "proj", "[pytest11]\nproj = proj.plugin\nmissing = notinstalled.plugin\n")
    _dist(site, "linked", "[pytest11]\nlinked = linkedplug\n")
    (site / "linkedplug").symlink_to(repo / "vendored")
    _dist(site, "twin", "[pytest11]\ngood = proj.other\n")  # the same name, from code the change can reach
    _dist(site, "other", "[pytest11]\nother = otherplug.plugin\n", {"otherplug/__init__.py": ""})
    got = plugins.autoload([str(site)], repo, repo, {"off"})
    assert got == ["other"]


@pytest.mark.parametrize("addopts, off", [
    ('["-p", "no:randomly", "-pno:cacheprovider", "-p", "xdist"]', ["randomly", "cacheprovider"]),
    ('"-p no:randomly -ra"', ["randomly"]),
])
def test_the_bases_disabled_plugins_are_read(tmp_path, addopts, off):
    (tmp_path / "pyproject.toml").write_text(f"[tool.pytest.ini_options]\naddopts = {addopts}\n")
    cfg = baseconfig.read(tmp_path)
    assert cfg["disabled_plugins"] == off
    assert "disabled_plugins" not in baseconfig.ini_text(cfg, tmp_path)


FLAKY = {
    # Reruns for every test, from the base's own addopts; the markers below ask for more.
    "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-ra --reruns=1"\n',
    "tests/test_flaky.py": """
        import pytest
        from calc import add
        from calc.stats import mean

        SEEN = set()


        @pytest.mark.flaky(reruns=2)
        def test_flaky_service(request):
            first = request.node.nodeid not in SEEN
            SEEN.add(request.node.nodeid)
            if first:
                raise ConnectionError("the service did not answer in time")
            assert add(2, 2) == 4


        @pytest.mark.flaky(reruns=2)
        def test_mean_of_three():
            assert mean([1, 2, 6]) == 3


        def test_flaky_unmarked(request):
            first = request.node.nodeid not in SEEN
            SEEN.add(request.node.nodeid)
            assert not first, "a race the suite tolerates with --reruns"
        """,
}


@pytest.fixture(scope="module")
def rerun_python(tmp_path_factory) -> Path:
    """A venv with this pytest and two plugins that run tests more than once, pytest-rerunfailures
    and pytest-flakefinder (both autoloaded, as plain pytest would)."""
    home = tmp_path_factory.mktemp("rerun") / "env"
    python, site = bare_venv(home)
    # This pytest's version pins the plugins' releases to ones that support it (CI also runs pytest 8.0).
    got = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(site),
                          "pytest-rerunfailures", "pytest-flakefinder", f"pytest=={pytest.__version__}"],
                         capture_output=True, text=True, timeout=300)
    if got.returncode:
        pytest.skip(f"the rerun plugins could not be installed: {(got.stderr.strip().splitlines() or ['?'])[-1]}")
    return python


def test_reruns_of_a_flaky_test_are_attempts_not_duplicates(scenario, rerun_python):
    scenario.rebase(FLAKY)
    out = scenario.change(HONEST).verify(python=str(rerun_python))
    assert out.verdict.status == "pass", (out.verdict.reasons, out.output)
    row = next(t for t in out.verdict.tests if t.id.endswith("test_flaky_service"))
    assert row.status == "passed" and "attempt 2 of 2" in row.detail and "ConnectionError" in row.detail
    assert any("passed only when rerun" in n for n in out.verdict.notes)
    unmarked = next(t for t in out.verdict.tests if t.id.endswith("test_flaky_unmarked"))
    assert unmarked.status == "passed" and "attempt 2 of 2" in unmarked.detail  # the base's --reruns is kept
    # A wrong mean fails all three attempts: still a failure, and no accusation of duplication.
    wrong = {**HONEST, "calc/stats.py": "def mean(xs):\n    return sum(xs) / (len(xs) + 1)\n"}
    out = scenario.change(wrong).verify(python=str(rerun_python))
    assert out.verdict.status == "fail", out.output
    rows = {t.id.rsplit("::", 1)[-1]: t for t in out.verdict.tests}
    assert rows["test_mean_of_three"].status == "failed" and "failed all 3 attempts" in rows["test_mean_of_three"].detail
    assert rows["test_flaky_service"].status == "passed"
    assert not any(f.name == "duplicate-results" for f in out.verdict.evidence)


REPEATED = {
    # pytest-flakefinder: every test three times, from the base's own addopts.
    "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-ra --flake-finder --flake-runs=3"\n',
    "tests/test_repeated.py": """
        import unittest
        from calc import add
        from calc.stats import mean


        def test_add():
            assert add(2, 3) == 5


        class TestMean(unittest.TestCase):
            def test_mean(self):
                self.assertEqual(mean([1, 2, 6]), 3)
        """,
}


def test_copies_of_every_test_are_runs_not_duplicates_and_each_must_pass(scenario, rerun_python):
    # flakefinder parametrizes a test function (three ids) and collects a TestCase's test three
    # times under one id: three runs of one test, not a result reported three times.
    scenario.rebase(REPEATED)
    out = scenario.change(HONEST).verify(python=str(rerun_python), tests=("tests/test_repeated.py",))
    assert out.verdict.status == "pass", (out.verdict.reasons, out.output)
    rows = {t.id: t for t in out.verdict.tests}
    assert {i for i in rows if "test_add" in i} == {f"tests/test_repeated.py::test_add[{k}]" for k in range(3)}
    assert rows["tests/test_repeated.py::TestMean::test_mean"].detail == "each of its 3 copies in the collection passed"
    # Right only the first time it sees an input: a later copy fails, and repetition cannot outvote it.
    stale = {**HONEST, "calc/stats.py": """
        _seen = set()

        def mean(xs):
            first = tuple(xs) not in _seen
            _seen.add(tuple(xs))
            return sum(xs) / (len(xs) if first else len(xs) + 1)
        """}
    out = scenario.change(stale).verify(python=str(rerun_python), tests=("tests/test_repeated.py",))
    assert out.verdict.status == "fail", out.output
    row = {t.id: t for t in out.verdict.tests}["tests/test_repeated.py::TestMean::test_mean"]
    assert row.status == "failed" and "of 3 in the collection" in row.detail, row
    assert not any(f.name == "duplicate-results" for f in out.verdict.evidence)
