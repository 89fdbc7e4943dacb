"""Which role a path plays: test code, test harness, protected, or product code."""

from __future__ import annotations

import fnmatch
import functools
import posixpath
from dataclasses import dataclass, field

from specgap.model import FileRole

# The one list of test and harness file names; inputs, rules and verify all read them from here.

# pytest's default `python_files`: what it collects as tests when nothing else is configured.
PYTEST_FILE_PATTERNS = ("test_*.py", "*_test.py")
# Directories that hold tests by convention.
TEST_DIR_NAMES = frozenset({"tests", "test"})
DEFAULT_TEST_PATTERNS = PYTEST_FILE_PATTERNS + (
    "tests.py",
    "**/tests/**",
    "**/test/**",
    "**/testing/**",
    "**/*_tests/**",
)

# Files that decide how tests are collected and run (pytest, tox, nox).
RUNNER_CONFIG_NAMES = frozenset(
    {"conftest.py", "pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml", "noxfile.py"}
)
# Code every Python process of an environment runs at startup, without being imported.
STARTUP_HOOK_NAMES = frozenset({"sitecustomize.py", "usercustomize.py"})
# Files that decide how tests are collected, run and reported.
HARNESS_NAMES = RUNNER_CONFIG_NAMES | STARTUP_HOOK_NAMES | {"Makefile", "makefile", "GNUmakefile", ".coveragerc"}
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
# A coding agent's own instructions, and the settings and hooks that bound what it may do.
AGENT_INSTRUCTION_PATTERNS = (
    "CLAUDE.md", "CLAUDE.local.md", "AGENTS.md", "GEMINI.md", ".cursorrules", ".windsurfrules", ".clinerules",
    ".github/copilot-instructions.md", "**/.cursor/rules/*",
)
AGENT_SETTINGS_PATTERNS = (
    "**/.claude/settings*.json", "**/.claude/hooks/*", "**/.claude/hooks/**", ".cursor/hooks.json",
    ".codex/config.toml", ".gemini/settings.json",
)


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
    if isinstance(patterns, tuple):
        return _matches_tuple(path, patterns)
    return any(_match(path, p) for p in patterns)


# rules ask about the same paths and the same pattern tuples for every file and rollout (a dozen
# globs, up to three fnmatch calls each)
@functools.lru_cache(maxsize=4096)
def _matches_tuple(path: str, patterns: tuple[str, ...]) -> bool:
    return any(_match(path, p) for p in patterns)


@dataclass(frozen=True)
class RoleConfig:
    test_patterns: tuple[str, ...] = DEFAULT_TEST_PATTERNS
    protected: tuple[str, ...] = field(default_factory=tuple)


@functools.lru_cache(maxsize=4096)  # the same few names in every rollout of a shard (tens of globs each)
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
