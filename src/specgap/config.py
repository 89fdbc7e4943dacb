"""`[tool.specgap]` configuration: discovery, parsing and validation.

Read from `pyproject.toml` (`[tool.specgap]`) or `.specgap.toml` / `specgap.toml` (top-level keys).
For a git scan the config is read from the base revision, not the working tree, so a change cannot
relax the rules that judge it.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, from PyPI
    import tomli as tomllib

from specgap.inputs.roles import DEFAULT_TEST_PATTERNS, RoleConfig
from specgap.model import Severity

# Checked in this order in each directory; the first that configures specgap wins.
CONFIG_NAMES = (".specgap.toml", "specgap.toml", "pyproject.toml")
KEYS = ("select", "ignore", "per-file-ignores", "test-paths", "protected", "fail-on", "profile", "exclude")
# `agent`: for gates that only ever see agents' changes, where a human's reasons to edit a test
# (a changed specification, a wrong old expectation) do not apply; see `apply_profile`.
PROFILES = ("default", "agent")
_SELECTOR = re.compile(r"^SG\d{0,4}$")  # SG10xx/SG11xx: propensity and transcripts


class ConfigError(Exception):
    """Configuration that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()          # empty = every rule
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    test_paths: tuple[str, ...] = ()      # added to the default test patterns
    protected: tuple[str, ...] = ()
    fail_on: Severity = Severity.MEDIUM
    profile: str = "default"
    exclude: tuple[str, ...] = ()        # globs left out of directories scanned with --files
    source: str = "defaults"              # where it came from, for the summary
    path: Path | None = None              # the file on disk it was read from, if any

    def roles(self) -> RoleConfig:
        return RoleConfig(test_patterns=DEFAULT_TEST_PATTERNS + self.test_paths, protected=self.protected)

    def merged(self, *, select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
               fail_on: Severity | None = None, profile: str | None = None,
               exclude: tuple[str, ...] = ()) -> Config:
        """This config with command-line options applied: --select replaces, --ignore adds."""
        return Config(
            select=select or self.select,
            ignore=self.ignore + ignore,
            per_file_ignores=self.per_file_ignores,
            test_paths=self.test_paths,
            protected=self.protected,
            fail_on=fail_on or self.fail_on,
            profile=profile or self.profile,
            exclude=self.exclude + exclude,
            source=self.source,
            path=self.path,
        )


def known_ids() -> set[str]:
    from specgap.rules import all_rules

    return {r.id for r in all_rules()}


def check_selectors(values: list[str] | tuple[str, ...], where: str) -> tuple[str, ...]:
    """Rule ids or id prefixes (`SG4`, `SG40`), upper-cased; each must name at least one rule."""
    from specgap.engine import matches

    ids = known_ids()
    out = []
    for v in values:
        s = v.strip().upper()
        if not _SELECTOR.match(s):
            raise ConfigError(f"{where}: {v!r} is not a rule id or prefix (like 'SG101' or 'SG1')")
        if not any(matches(i, [s]) for i in ids):
            raise ConfigError(f"{where}: {v!r} matches no rule (see `specgap rules`)")
        out.append(s)
    return tuple(out)


def parse_severity(value: str, where: str) -> Severity:
    try:
        return Severity(value.strip().lower())
    except ValueError:
        choices = "|".join(s.value for s in Severity)
        raise ConfigError(f"{where}: {value!r} is not a severity ({choices})") from None


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return value


def from_table(table: dict[str, Any], source: str) -> Config:
    """A validated Config from the `[tool.specgap]` table (or a .specgap.toml document)."""
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(KEYS)}")
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{source}: per-file-ignores: expected a table of glob = [ids], got {per_file!r}")
    fail_on = table.get("fail-on", "medium")
    if not isinstance(fail_on, str):
        raise ConfigError(f"{source}: fail-on: expected a string, got {fail_on!r}")
    profile = table.get("profile", "default")
    if profile not in PROFILES:
        raise ConfigError(f"{source}: profile: expected one of {', '.join(PROFILES)}, got {profile!r}")
    return Config(
        select=check_selectors(_strings(table.get("select", []), f"{source}: select"), f"{source}: select"),
        ignore=check_selectors(_strings(table.get("ignore", []), f"{source}: ignore"), f"{source}: ignore"),
        per_file_ignores=tuple(
            (glob, check_selectors(_strings(ids, f"{source}: per-file-ignores.{glob}"), f"{source}: per-file-ignores.{glob}"))
            for glob, ids in per_file.items()
        ),
        test_paths=tuple(_strings(table.get("test-paths", []), f"{source}: test-paths")),
        protected=tuple(_strings(table.get("protected", []), f"{source}: protected")),
        fail_on=parse_severity(fail_on, f"{source}: fail-on"),
        profile=profile,
        exclude=tuple(_strings(table.get("exclude", []), f"{source}: exclude")),
        source=source,
    )


def from_text(text: str, name: str, source: str) -> Config | None:
    """The config in one file's text; None when it is a pyproject.toml without `[tool.specgap]`."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{source}: TOML nested too deeply") from None
    if Path(name).name == "pyproject.toml":
        table = doc.get("tool", {}).get("specgap") if isinstance(doc.get("tool"), dict) else None
        if table is None:
            return None
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: [tool.specgap] must be a table")
        return from_table(table, source)
    return from_table(doc, source)


def _read(path: Path) -> Config | None:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    cfg = from_text(text, path.name, str(path))
    return replace(cfg, path=path.resolve()) if cfg is not None else None


def load_file(path: Path) -> Config:
    """An explicitly named config file (`--config`): it must exist and configure specgap."""
    cfg = _read(path)
    if cfg is None:
        raise ConfigError(f"{path}: has no [tool.specgap] table")
    return cfg


def discover(start: Path) -> Config:
    """The first config found from `start` upward, stopping at the enclosing git repository's root."""
    d = start.resolve()
    if d.is_file():
        d = d.parent
    for directory in (d, *d.parents):
        for name in CONFIG_NAMES:
            p = directory / name
            if p.is_file():
                cfg = _read(p)
                if cfg is not None:
                    return cfg
        if (directory / ".git").exists():
            break
    return Config(source=f"defaults (no config found from {d} upward)")


def at_revision(read: Callable[[str], bytes | None], rev: str) -> Config:
    """The config committed at the repo root in `rev`; `read(path)` returns that file's bytes or None."""
    for name in CONFIG_NAMES:
        data = read(name)
        if data is None:
            continue
        source = f"{name} at {rev}"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"{source}: not UTF-8 text") from None
        cfg = from_text(text, name, source)
        if cfg is not None:
            return cfg
    return Config(source=f"defaults (no config at {rev})")


def for_git(repo: str | Path, base: str | None) -> Config:
    """The config committed in the revision the change is judged against (HEAD by default)."""
    from specgap.inputs import InputFailure, read_at

    rev = base or "HEAD"
    try:
        return at_revision(lambda name: read_at(repo, rev, name), rev)
    except InputFailure:
        if base is not None:
            raise
        # no commits yet (or not a repo, which loading the change will report): nothing is trusted
        return Config(source="defaults (no commits to read config from)")


def resolve(*, config_file: Path | None = None, isolated: bool = False, start: Path | None = None,
            git: tuple[str | Path, str | None] | None = None,
            written: Callable[[Path], bool] | None = None,
            before: Callable[[Path], str | None] | None = None) -> Config:
    """The config a scan uses: none with `isolated`, else `config_file`, else the base revision's
    for a git scan (`git=(repo, base)`), else the first found from `start` (default cwd) upward.

    A config file that the change under review wrote (`written(path)`) is not trusted: its text
    from before the change (`before(path)`) is used instead, or the defaults when there is none.
    """
    if isolated:
        return Config(source="defaults (--isolated)")
    if config_file is not None:
        cfg = load_file(config_file)
    elif git is not None:
        return for_git(*git)
    else:
        cfg = discover(start or Path.cwd())
    if cfg.path is None or written is None or not written(cfg.path):
        return cfg
    old = before(cfg.path) if before is not None else None
    if old is not None:
        found = from_text(old, cfg.path.name, f"{cfg.path} as it was before the change")
        if found is not None:
            return found
    return Config(source=f"defaults ({cfg.path} is written by the change, so it is not used)")


__all__ = ["resolve", "Config", "ConfigError", "discover", "load_file", "at_revision", "check_selectors", "parse_severity"]
