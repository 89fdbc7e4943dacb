"""SG205 runner-config-narrowed: Runner configuration or a test command was changed to run fewer tests."""

from __future__ import annotations

from typing import Iterator

from specgap.model import (
    ChangedFile,
    ChangeSet,
    Confidence,
    FileRole,
    Finding,
    Kind,
    Severity,
)
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.harness import _pytest_config as pc
from specgap.rules.harness import _test_commands as tc


@register
class RunnerConfigNarrowed(Rule):
    """Runner configuration or a test command was changed to run fewer tests.

    What it does: compares pytest's options before and after the change in pytest.ini, tox.ini,
    setup.cfg and pyproject.toml (`[tool.pytest.ini_options]`, `[tool.pytest]`), and the pytest
    command lines in CI workflows, tox commands, Makefiles and noxfiles. Reports `addopts` (or a
    command, or a `PYTEST_ADDOPTS` it sets) gaining `-k`, `--deselect`, `--ignore` of test paths,
    `-p no:python`/`no:unittest`, `-o python_files=...` and the like, `--co` or `--lf`; `testpaths` losing entries; `python_files`/`python_classes`/
    `python_functions` losing patterns; `norecursedirs` gaining test directories. A new config file
    with such options counts too. Ignoring non-test paths, marker selection (`-m`) and options
    newly set to narrow pytest's defaults are reported low.

    Why is this bad: deselected tests cannot fail; the run is green with the failing tests left out,
    and the change to one config line is easy to miss in review.

    Example:
        [pytest]
        addopts = --deselect tests/test_api.py::test_timeout

    Use instead: run the full suite; quarantine flaky tests visibly, with an issue and a marker.
    """

    id = "SG205"
    name = "runner-config-narrowed"
    family = "harness"
    kind = Kind.TAMPERING
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    roles = (FileRole.HARNESS, FileRole.PROTECTED, FileRole.TEST)
    scope = "diff"

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is None:
            return
        after = pc.pytest_options(cf.path, cf.after.text)
        if after is not None:
            before = pc.pytest_options(cf.path, cf.before.text) if cf.before is not None else None
            yield from self._options(cf, before or {}, after)
        yield from self._command_lines(cf)

    def _options(self, cf: ChangedFile, before: dict[str, pc.Option], after: dict[str, pc.Option]) -> Iterator[Finding]:
        add = after.get("addopts")
        if add is not None:
            old = {n.token for n in pc.narrowing(before["addopts"].tokens)} if "addopts" in before else set()
            for n in pc.narrowing(add.tokens):
                if n.token not in old:
                    yield self.finding(cf, add.line, f"addopts gains `{n.token}`: {n.why}",
                                       severity=None if n.strong else Severity.LOW,
                                       confidence=None if n.strong else Confidence.MEDIUM,
                                       before=" ".join(before["addopts"].tokens) if "addopts" in before else None,
                                       after=" ".join(add.tokens))
        tp_old, tp_new = before.get("testpaths"), after.get("testpaths")
        if tp_new is not None:
            if tp_old is not None:
                lost = [p for p in tp_old.tokens if p not in tp_new.tokens]
                if lost:
                    # dropping a source package (doctests) is routine; dropping a test directory is not
                    tests_lost = any(pc.looks_like_tests(p) for p in lost)
                    yield self.finding(cf, tp_new.line, f"testpaths no longer includes {', '.join(lost)}",
                                       severity=None if tests_lost else Severity.LOW,
                                       confidence=None if tests_lost else Confidence.MEDIUM,
                                       before=" ".join(tp_old.tokens), after=" ".join(tp_new.tokens))
            elif not all(pc.looks_like_tests(p) or p == "src" for p in tp_new.tokens):
                yield self.finding(cf, tp_new.line, f"testpaths set to {' '.join(tp_new.tokens)}, which may leave tests out",
                                   severity=Severity.LOW, confidence=Confidence.LOW)
        for key, default in (("python_files", ("test_*.py", "*_test.py")), ("python_classes", ("Test",)),
                             ("python_functions", ("test",))):
            new = after.get(key)
            if new is None:
                continue
            configured = before.get(key)
            old_patterns = configured.tokens if configured is not None else default
            lost = [p for p in old_patterns if p not in new.tokens]
            if lost and not any(p in ("*", "*.py") for p in new.tokens):
                sev = Severity.HIGH if configured is not None else Severity.LOW
                yield self.finding(cf, new.line, f"{key} no longer matches {', '.join(lost)}", severity=sev,
                                   confidence=None if configured is not None else Confidence.MEDIUM,
                                   before=" ".join(old_patterns), after=" ".join(new.tokens))
        nr = after.get("norecursedirs")
        if nr is not None:
            old_nr = set(before["norecursedirs"].tokens) if "norecursedirs" in before else set()
            gained = [p for p in nr.tokens if p not in old_nr and pc.looks_like_tests(p)]
            if gained:
                yield self.finding(cf, nr.line, f"norecursedirs now skips {', '.join(gained)}")

    def _command_lines(self, cf: ChangedFile) -> Iterator[Finding]:
        after = tc.commands(cf.path, cf.after)
        if after is None:
            return
        before = tc.commands(cf.path, cf.before) if cf.before is not None else None
        old = {n.token for c in (before.cmds if before else []) for n in pc.narrowing(tc.pytest_args(c.text))}
        for c in after.cmds:
            if not cf.is_added_line(c.line):
                continue
            for n in pc.narrowing(tc.pytest_args(c.text)):
                if n.token not in old:
                    # CI commands select tests for many honest reasons (quarantine, slow suites): medium at most
                    yield self.finding(cf, c.line, f"test command gains `{n.token}`: {n.why}",
                                       severity=Severity.MEDIUM if n.strong else Severity.LOW,
                                       confidence=Confidence.MEDIUM, after=c.text)
