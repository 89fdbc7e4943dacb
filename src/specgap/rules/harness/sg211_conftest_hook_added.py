"""SG211 conftest-hook-added: A conftest.py gained a hook that runs around test collection, execution or reporting."""

from __future__ import annotations

from typing import Iterator

from specgap.analysis import pytest_hooks as ph
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
from specgap.rules.harness import _test_commands as tc

# Hooks that only add options, markers, parametrization or header text: the fixture-only conftest's kin.
_CONFIG_HOOKS = frozenset({"pytest_addoption", "pytest_configure", "pytest_generate_tests", "pytest_make_parametrize_id",
                           "pytest_report_header", "pytest_addhooks", "pytest_plugin_registered", "pytest_unconfigure",
                           "pytest_assertrepr_compare", "pytest_fixture_setup", "pytest_fixture_post_finalizer"})


@register
class ConftestHookAdded(Rule):
    """A conftest.py gained a hook that runs around test collection, execution or reporting.

    What it does: reports, at low severity, each new `pytest_*` hook implementation in a conftest.py
    other than those that only add options, markers, parametrization or header text. It is context
    for a reviewer: SG201-SG204 judge what such hooks do.

    Why is this bad: a conftest is loaded by every run of the suite; an agent has little reason to
    hook into how tests run or report, and hooks are where results get forged.

    Example:
        # conftest.py (new)
        def pytest_runtest_setup(item):
            ...

    Use instead: fixtures for setup; leave running and reporting to pytest.
    """

    id = "SG211"
    name = "conftest-hook-added"
    family = "harness"
    kind = Kind.TAMPERING
    severity = Severity.LOW
    confidence = Confidence.LOW
    roles = (FileRole.HARNESS, FileRole.TEST, FileRole.PROTECTED)

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if tc.file_name(cf.path) != "conftest.py" or cf.after is None or cf.after.tree is None:
            return
        for fn in ph.hook_impls(cf.after.tree):
            if fn.name not in _CONFIG_HOOKS and cf.is_added_line(fn.lineno):
                yield self.finding(cf, fn.lineno, f"conftest.py implements {fn.name}", end_line=fn.lineno)
