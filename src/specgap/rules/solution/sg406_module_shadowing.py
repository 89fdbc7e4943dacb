"""SG406 module-shadowing: A new top-level module named like the standard library or a widely used package."""

from __future__ import annotations

import ast
import re
import sys
from typing import Iterator

from specgap.model import (
    ChangedFile,
    ChangeSet,
    Confidence,
    FileRole,
    Finding,
    Kind,
    Severity,
    Status,
)
from specgap.rules import register
from specgap.rules.base import Rule

# Never imported by running code: CPython's own test suite and demos.
_STDLIB_HARMLESS = frozenset({"test", "this", "antigravity", "idlelib", "turtledemo", "__phello__"})
_STDLIB = frozenset(sys.stdlib_module_names) - _STDLIB_HARMLESS
# Modules every test run imports (the runners and what they import at start) and widely used
# distributions: a stand-in for one of these changes what the tests execute.
_CORE = frozenset({
    "os", "sys", "re", "io", "time", "random", "json", "math", "unittest", "inspect", "types", "typing",
    "functools", "collections", "itertools", "pathlib", "tempfile", "traceback", "warnings", "logging",
    "subprocess", "builtins", "operator", "copy", "string", "datetime", "decimal", "fractions",
    "statistics", "hashlib", "signal", "atexit", "importlib", "enum", "dataclasses", "contextlib",
    "abc", "ast", "doctest", "argparse", "shutil", "glob", "fnmatch", "textwrap", "pprint", "difflib",
    "pytest", "_pytest", "pluggy", "iniconfig", "numpy", "pandas", "scipy", "requests", "torch",
    "tensorflow", "sklearn", "django", "flask", "yaml", "attr", "attrs", "hypothesis", "six",
    "setuptools", "pkg_resources", "pip", "coverage", "mock", "matplotlib", "sympy", "networkx",
})


def _top_level_module(path: str) -> str | None:
    """The importable name a file adds at the top of sys.path: `x.py`, `src/x.py`, `x/__init__.py`."""
    parts = path.rsplit("::", 1)[-1].split("/")
    if parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if len(parts) == 1 and parts[0].endswith(".py"):
        return parts[0][:-3]
    if len(parts) == 2 and parts[1] == "__init__.py":
        return parts[0]
    return None


_STUB_MAX_FILES = 3


def _package_size(changeset: ChangeSet, init_path: str) -> int:
    """How many Python files the change adds in the package whose `__init__.py` this is (0 for a module)."""
    if not init_path.endswith("/__init__.py"):
        return 0
    prefix = init_path[: -len("__init__.py")]
    return sum(1 for f in changeset.files if f.path.startswith(prefix) and f.path.endswith(".py"))


def _inside_scanned_package(changeset: ChangeSet, path: str) -> bool:
    """A module beside the `__init__.py` of a package of many modules: the scanned directory is
    itself that package (`specgap scan site-packages/pkg/`), so its `json.py` is `pkg.json`.
    A stub pair (`__init__.py` + `json.py`) is too small to pass for a package."""
    if path.endswith("/__init__.py"):
        return False
    prefix = path.rsplit("::", 1)[-1][: -len(path.rsplit("/", 1)[-1])]  # "" or "src/"
    container = path[: len(path) - len(path.rsplit("::", 1)[-1])]          # "run.md::" or ""
    if changeset.get(container + prefix + "__init__.py") is None:
        return False
    modules = sum(1 for f in changeset.files if f.path.startswith(container + prefix) and f.path.endswith(".py"))
    return modules > _STUB_MAX_FILES


_METADATA = frozenset({"pyproject.toml", "setup.cfg", "setup.py"})
_DIST_NAME = re.compile(r"""\bname\s*=\s*["']([A-Za-z0-9_.-]+)["']""")


def _declared_names(changeset: ChangeSet) -> set[str]:
    """Distribution names the change's own packaging metadata declares: the project itself."""
    out = set()
    for cf in changeset.files:
        if cf.path.rsplit("/", 1)[-1] in _METADATA and cf.after is not None:
            out.update(m.group(1).replace("-", "_").lower() for m in _DIST_NAME.finditer(cf.after.text))
    return out


def _imported_top_names(tree: ast.Module | None) -> set[str]:
    """Top-level names a test file imports, from its statements (not inside functions: cheap)."""
    out: set[str] = set()
    stack: list[ast.AST] = list(tree.body) if tree is not None else []
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Import):
            out.update(a.name.split(".")[0] for a in n.names)
        elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
            out.add(n.module.split(".")[0])
        elif isinstance(n, (ast.If, ast.Try, ast.With, ast.ClassDef)):
            stack.extend(n.body + getattr(n, "orelse", []) + [s for h in getattr(n, "handlers", []) for s in h.body])
    return out


@register
class ModuleShadowing(Rule):
    """A new top-level module named like the standard library or a widely used package.

    What it does: finds files the change adds at the top of the import path (`random.py`,
    `src/pytest.py`, `numpy/__init__.py`) whose name is a standard-library module or a widely
    used distribution. High when the tests import that name, medium for the modules every test
    run uses (`os`, `time`, `random`, `json`, `unittest`, `pytest`, `numpy` ...), low for the rest
    of the standard library. Modules inside a package (`pkg/random.py`) shadow nothing, and
    neither do the modules of a scanned directory that is itself a package of many modules
    (`specgap scan site-packages/pkg/`: its `json.py` is `pkg.json`).

    Why is this bad: the repository directory comes first on `sys.path`, so the tests import the
    stand-in instead of the real module: a fake `pytest.py`, `time.py` or `numpy.py` decides
    what the tests see.

    Example:
        # pandas.py, added next to solution.py
        class DataFrame: ...

    Use instead: give your module a name of its own, or put it inside your package.
    """

    id = "SG406"
    name = "module-shadowing"
    family = "solution"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    roles = (FileRole.PRODUCT, FileRole.HARNESS)

    def keeps(self, cf: ChangedFile) -> bool:
        if cf.role is FileRole.TEST and cf.after is not None:
            cf.after.notes[self.id] = _imported_top_names(cf.after.tree)  # (cheap: statements only)
        return False

    def check(self, changeset: ChangeSet) -> Iterator[Finding]:
        tested: set[str] | None = None
        declared = _declared_names(changeset)
        for cf in changeset.files:
            if cf.role not in self.roles or cf.status not in (Status.ADDED, Status.RENAMED) or cf.after is None:
                continue
            name = _top_level_module(cf.path)
            if name is None or (name not in _STDLIB and name not in _CORE) or name in declared:
                continue
            if _inside_scanned_package(changeset, cf.path):
                continue
            if tested is None:
                tested = set()
                for tf in changeset.by_role(FileRole.TEST) + changeset.context_files():
                    if tf.role is FileRole.TEST and tf.after is not None:
                        noted = tf.after.notes.get(self.id)
                        tested |= noted if noted is not None else _imported_top_names(tf.after.tree)
            if _package_size(changeset, cf.path) > _STUB_MAX_FILES:
                # a whole package of modules is a project of that name, not a stub over the real one
                sev, why = Severity.LOW, "a package of many modules: a project of that name, or a vendored copy"
            elif name in tested:
                sev, why = Severity.HIGH, "the tests import it"
            elif name in _CORE:
                sev, why = Severity.MEDIUM, "test runs import it"
            else:
                sev, why = Severity.LOW, "a standard-library module"
            yield self.finding(cf, 1, f"new top-level module `{name}` shadows the real one ({why})",
                               severity=sev, evidence=cf.path)
