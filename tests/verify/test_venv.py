"""`--python VENV/bin/python`: the tests run against the virtualenv's packages, as the project's do.

The child runs `-I -S`, which skips the step that turns a venv's interpreter into a venv; verify
must find the venv's site-packages itself (and, under bubblewrap, make the venv visible).
"""

from __future__ import annotations

import importlib.metadata as md
import shutil
from pathlib import Path

import pytest
from .conftest import HONEST, bare_venv
from packaging.requirements import Requirement

from specgap.verify import sandbox
from specgap.verify.verdict import PASS

USES_VENV_ONLY_PACKAGE = {
    "tests/test_venv_dep.py": """
        import venvonly
        from calc import add

        def test_add_matches_the_venv_package():
            assert add(40, 2) == venvonly.ANSWER
        """,
}


def _copy_distribution(name: str, site: Path, done: set[str]) -> None:
    """Copy an installed distribution and what it requires into another site-packages."""
    dist = md.distribution(name)
    key = dist.metadata["Name"].lower()
    if key in done:
        return
    done.add(key)
    for f in dist.files or ():
        src = Path(dist.locate_file(f))
        if ".." in f.parts or not src.is_file():
            continue  # console scripts live outside site-packages
        dest = site / f
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
    for spec in dist.requires or ():
        req = Requirement(spec)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            _copy_distribution(req.name, site, done)


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A venv without pip or system packages: pytest (copied) and one package nothing else has."""
    home = tmp_path_factory.mktemp("venv") / "env"
    python, site = bare_venv(home)
    _copy_distribution("pytest", site, set())
    (site / "venvonly.py").write_text("ANSWER = 42\n")
    return python


@pytest.mark.parametrize("isolation", ["none", "bwrap"])
def test_tests_see_the_venvs_packages(scenario, venv, isolation):
    if isolation == "bwrap" and sandbox.choose("auto")[0] != "bwrap":
        pytest.skip("bubblewrap (bwrap) is not installed or cannot create namespaces here")
    scenario.rebase(USES_VENV_ONLY_PACKAGE).change(HONEST)
    out = scenario.verify(python=str(venv), isolation=isolation)
    assert out.isolation == isolation
    assert out.verdict.status == PASS, [(t.id, t.detail) for t in out.verdict.tests if t.status != "passed"]


def test_without_the_venv_the_package_is_missing(scenario):
    """The control: the same suite under the interpreter running specgap cannot import the package."""
    scenario.rebase(USES_VENV_ONLY_PACKAGE).change(HONEST)
    out = scenario.verify()
    assert out.verdict.status != PASS
    failed = [t.id for t in out.verdict.tests if t.status != "passed"]
    assert any("test_venv_dep" in t for t in failed), failed
