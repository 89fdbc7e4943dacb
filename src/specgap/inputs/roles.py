"""Which role a path plays: test code, test harness, protected, or product code."""

from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass, field

from specgap.model import FileRole

DEFAULT_TEST_PATTERNS = (
    "test_*.py",
    "*_test.py",
    "tests.py",
    "**/tests/**",
    "**/test/**",
    "**/testing/**",
    "**/*_tests/**",
)

# Files that decide how tests are collected, run and reported.
HARNESS_NAMES = frozenset(
    {
        "conftest.py",
        "pytest.ini",
        ".pytest.ini",
        "tox.ini",
        "setup.cfg",
        "pyproject.toml",
        "noxfile.py",
        "Makefile",
        "makefile",
        "GNUmakefile",
        "sitecustomize.py",
        "usercustomize.py",
        ".coveragerc",
    }
)
HARNESS_PATTERNS = (
    ".github/workflows/*",
    ".gitlab-ci.yml",
    ".circleci/*",
    "azure-pipelines.yml",
    ".travis.yml",
    "Jenkinsfile",
    "*.pth",
    ".ci/*",
)
SPECGAP_CONFIG_NAMES = frozenset({".specgap.toml", "specgap.toml"})


def _match(path: str, pattern: str) -> bool:
    """Glob match where `**/` also matches nothing (so `**/tests/**` matches `tests/x.py`)."""
    if fnmatch.fnmatchcase(path, pattern):
        return True
    if pattern.startswith("**/") and fnmatch.fnmatchcase(path, pattern[3:]):
        return True
    if "/" not in pattern and fnmatch.fnmatchcase(posixpath.basename(path), pattern):
        return True
    return False


def matches_any(path: str, patterns: tuple[str, ...] | list[str]) -> bool:
    return any(_match(path, p) for p in patterns)


@dataclass(frozen=True)
class RoleConfig:
    test_patterns: tuple[str, ...] = DEFAULT_TEST_PATTERNS
    protected: tuple[str, ...] = field(default_factory=tuple)


def classify(path: str, cfg: RoleConfig | None = None) -> FileRole:
    """The role of a repo-relative posix path. Protected wins over harness, harness over test."""
    cfg = cfg or RoleConfig()
    base = posixpath.basename(path)
    if base in SPECGAP_CONFIG_NAMES or matches_any(path, cfg.protected):
        return FileRole.PROTECTED
    if base in HARNESS_NAMES or matches_any(path, HARNESS_PATTERNS):
        return FileRole.HARNESS
    if matches_any(path, cfg.test_patterns):
        return FileRole.TEST
    return FileRole.PRODUCT
