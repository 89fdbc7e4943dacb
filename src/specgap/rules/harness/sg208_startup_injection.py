"""SG208 startup-injection: Code that Python or pytest runs at startup was planted: `.pth` imports, sitecustomize, bytecode, plugins."""

from __future__ import annotations

import posixpath
from typing import Iterator

import tomllib

from specgap.model import ChangeSet, Confidence, Finding, Kind, Severity, Status
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.harness import _pytest_config as pc
from specgap.rules.harness import _test_commands as tc
from specgap.rules.harness._shared import _first_written_line


def _pytest11(path: str, text: str | None) -> set[str]:
    """Names of pytest plugins registered as `pytest11` entry points in pyproject.toml / setup.cfg."""
    if not text:
        return set()
    base = posixpath.basename(path)
    if base == "pyproject.toml":
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError):
            return set()
        eps = data.get("project", {}).get("entry-points", {}) if isinstance(data.get("project"), dict) else {}
        group = eps.get("pytest11", {}) if isinstance(eps, dict) else {}
        return set(group) if isinstance(group, dict) else set()
    if base == "setup.cfg":
        cp = pc.read_ini(text)
        if cp is None or not cp.has_option("options.entry_points", "pytest11"):
            return set()
        return {ln.split("=")[0].strip() for ln in cp.get("options.entry_points", "pytest11").split("\n") if "=" in ln}
    return set()


@register
class StartupInjection(Rule):
    """Code that Python or pytest runs at startup was planted: `.pth` imports, sitecustomize, bytecode, plugins.

    What it does: reports `.pth` lines that start with `import` (site.py executes them at every
    interpreter start; path-only lines are fine), new or changed `sitecustomize.py` /
    `usercustomize.py`, `.pyc` files or `__pycache__` content in the change, and `pytest11` entry
    points added in pyproject.toml or setup.cfg (low, as context: every plugin project has one, and
    SG201-SG204 judge what the plugin's hooks do).

    Why is this bad: these run before any test, in the test process, without appearing in an
    import; planted bytecode whose header matches the source's mtime and size is run instead of the
    reviewed test source.

    Example:
        # zz_hook.pth
        import _hook; _hook.install()

    Use instead: put code in modules that are imported explicitly; never commit bytecode.
    """

    id = "SG208"
    name = "startup-injection"
    family = "harness"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    scope = "diff"

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        # entry points moved between pyproject.toml and setup.cfg are not new
        registered_before = {name for cf in changeset.files if cf.before is not None
                             for name in _pytest11(cf.path.rsplit("::", 1)[-1], cf.before.text)}
        for cf in changeset.files:
            if cf.status is Status.DELETED:
                continue
            path = cf.path.rsplit("::", 1)[-1]
            base = tc.file_name(path)
            if base.endswith((".pyc", ".pyo")) or "__pycache__/" in f"/{path}":
                yield self.finding(cf, 1, "compiled bytecode is part of the change; Python may run it instead of the source",
                                   evidence=cf.path)
            elif cf.binary or cf.after is None:
                continue
            elif base.endswith(".pth"):
                for n, line in enumerate(cf.after.lines, 1):
                    if line.startswith(("import ", "import\t")) and cf.is_added_line(n):
                        yield self.finding(cf, n, "a .pth line that site.py executes at every interpreter start")
            elif base in ("sitecustomize.py", "usercustomize.py"):
                yield self.finding(cf, _first_written_line(cf), f"{base} runs in every Python process started here")
            elif base in ("pyproject.toml", "setup.cfg"):
                new = _pytest11(path, cf.after.text) - registered_before
                if new:
                    yield self.finding(cf, pc.key_line(cf.after.text, "project.entry-points.pytest11", next(iter(new)))
                                       if base == "pyproject.toml" else pc.key_line(cf.after.text, "options.entry_points", "pytest11"),
                                       f"pytest plugin entry point added: {', '.join(sorted(new))}",
                                       severity=Severity.LOW, confidence=Confidence.MEDIUM)
