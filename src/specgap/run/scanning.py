"""Scans: load the input, read the config (from the base side, never from the change), apply the
baseline, evaluate (in a pool for whole trees) and summarize."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable

from specgap.config import Config, resolve
from specgap.engine import Outcome, evaluate, select_rules
from specgap.inputs import load_diff, load_git
from specgap.inputs.files import entries, load_entries
from specgap.inputs.trees import read_trees
from specgap.model import ChangeSet, Finding, InputError, Severity
from specgap.rules import scan_rules
from specgap.rules.base import Rule
from specgap.run.frozen import frozen
from specgap.run.pool import LocalPool, worker_count
from specgap.run.shards import FilesPart, Part, RawPart, evaluate_parts, split


@dataclass
class ScanResult:
    """What a scan found, what it could not read, and a summary of both (see `summarize`)."""

    findings: list[Finding]
    errors: list[InputError]
    summary: dict[str, Any]

    def fails(self, fail_on: Severity | None = None) -> bool:
        """Whether any finding is at or above `fail_on` (default: the config's `fail-on`)."""
        threshold = fail_on or Severity(self.summary["fail_on"])
        return any(f.severity >= threshold for f in self.findings)


def summarize(changeset: ChangeSet | None, findings: list[Finding], **extra: Any) -> dict[str, Any]:
    """Counts by severity, rule and kind, and every scanned file with the role it was given."""
    files = changeset.files if changeset is not None else []
    return {
        "source": changeset.source if changeset is not None else "",
        "findings": len(findings),
        "by_severity": {s.value: sum(f.severity is s for f in findings) for s in Severity},
        "by_rule": dict(sorted(Counter(f.rule_id for f in findings).items())),
        "by_kind": dict(sorted(Counter(f.kind.value for f in findings).items())),
        "files_scanned": len(files),
        "files": [{"path": cf.path, "role": cf.role.value, "status": cf.status.value} for cf in files],
        **extra,
    }


def apply_profile(findings: list[Finding], profile: str, rules: Iterable[type[Rule]]) -> list[Finding]:
    """`agent`: every edit to an existing test (the `tests` family) is reported at medium or above.

    A human edits a test's expectation for reasons an agent's gate does not accept from an agent
    (the specification changed, the old value was wrong): in a gate that only sees agents'
    changes, each such edit should stop the change until someone reads it.
    """
    if profile != "agent":
        return findings
    tests_family = {r.id for r in rules if r.family == "tests"}
    return [replace(f, severity=Severity.MEDIUM) if f.rule_id in tests_family and f.severity < Severity.MEDIUM else f
            for f in findings]


def _result(changeset: ChangeSet, out: Outcome, config: Config, chosen: list[type[Rule]]) -> ScanResult:
    out.findings = apply_profile(out.findings, config.profile, chosen)
    summary = summarize(
        changeset, out.findings,
        config=config.source,
        profile=config.profile,
        fail_on=config.fail_on.value,
        rules_run=len(chosen),
        suppressed=len(out.suppressed),
        ignored_per_file=len(out.ignored),
        baselined=len(out.baselined),
    )
    return ScanResult(out.findings, out.errors, summary)


def _rules(config: Config, rules: Iterable[type[Rule]] | None) -> list[type[Rule]]:
    return select_rules(scan_rules() if rules is None else rules, config.select, config.ignore)


def scan(changeset: ChangeSet, config: Config, *, baseline: frozenset[str] = frozenset(),
         rules: Iterable[type[Rule]] | None = None) -> ScanResult:
    """Run the configured rules (default: the scan catalog) on a loaded change and summarize."""
    return _scan(lambda: changeset, config, baseline, rules)


def _scan(load: Callable[[], ChangeSet], config: Config, baseline: frozenset[str],
          rules: Iterable[type[Rule]] | None = None) -> ScanResult:
    chosen = _rules(config, rules)
    with frozen(load, pause=True) as changeset:
        out = evaluate(changeset, chosen, per_file_ignores=config.per_file_ignores, baseline=baseline)
    return _result(changeset, out, config, chosen)


def _scan_parts(load_whole: Callable[[], ChangeSet], parts: list[Part], config: Config, baseline: frozenset[str],
                jobs: int) -> ScanResult:
    chosen = _rules(config, None)
    # this process mostly waits for the pool: it reads the files, then runs the rules that read
    # across files from what the workers noted, parsing again only the files those rules read
    pool = LocalPool(jobs)
    try:
        changeset, out = evaluate_parts(load_whole, parts, chosen, config.roles(), pool,
                                        per_file_ignores=config.per_file_ignores, baseline=baseline)
    finally:
        pool.close()
    return _result(changeset, out, config, chosen)


# -- the public entry points: load, configure, scan ---------------------------------------------


def scan_repo(repo: str | Path = ".", base: str | None = None, *, config: Config | None = None,
              baseline: frozenset[str] = frozenset()) -> ScanResult:
    """Scan a git repository's change since `base` (default: uncommitted and untracked vs HEAD).

    Without `config`, the config is read from the base revision, never from the change itself.
    """
    cfg = config or resolve(git=(repo, base))
    return _scan(lambda: load_git(repo, base, roles=cfg.roles()), cfg, baseline)


def scan_diff(text: str | bytes, repo: str | Path | None = None, *, config: Config | None = None,
              baseline: frozenset[str] = frozenset()) -> ScanResult:
    """Scan a unified diff; with `repo` (the tree after the change), rules see whole files."""
    cfg = config or resolve(start=Path(repo) if repo is not None else None, **diff_writes(text, repo))
    return _scan(lambda: load_diff(text, repo=repo, roles=cfg.roles()), cfg, baseline)


def scan_files(paths: Iterable[str | Path], *, config: Config | None = None,
               baseline: frozenset[str] = frozenset(), jobs: int | None = 1) -> ScanResult:
    """Scan files and directories as written by an agent (every line counts as written).

    `jobs`: worker processes for a large tree (None: every core). The default, 1, scans in this
    process: a pool starts fresh interpreters, so the calling script must guard its entry point
    (`if __name__ == "__main__":`). The findings are the same for any `jobs`.
    """
    paths = [str(p) for p in paths]
    cfg = config or resolve(**files_writes(paths))
    n = worker_count(jobs)
    items = entries(paths, cfg.exclude)
    source = "files: " + ", ".join(paths)
    parts: list[Part] = [FilesPart(tuple(p)) for p in split(items, n)]
    # each file is parsed, judged and let go in turn (its tree is parsed again if a rule that
    # reads across files asks for it)
    load = functools.partial(load_entries, items, cfg.roles(), source, on_demand=True)
    if not parts:
        return _scan(load, cfg, baseline)
    return _scan_parts(load, parts, cfg, baseline, n)


def scan_trees(before: str | Path, after: str | Path, *, config: Config | None = None,
               baseline: frozenset[str] = frozenset(), jobs: int | None = 1) -> ScanResult:
    """Scan the difference between two directory trees; config comes from `before`'s side.

    `jobs` as for `scan_files`: large changes are evaluated in a pool, with the same findings.
    """
    n = worker_count(jobs)
    cfg = config or resolve(start=Path(before))
    change = read_trees(before, after)
    parts: list[Part] = [RawPart(tuple(p)) for p in split(change.raws, n)]
    if not parts:
        return _scan(lambda: change.changeset(cfg.roles()), cfg, baseline)
    return _scan_parts(lambda: change.changeset(cfg.roles()), parts, cfg, baseline, n)


# What the change wrote, for `config.resolve`: a config file among it is not trusted.


def files_writes(paths: Iterable[str | Path]) -> dict[str, Any]:
    roots = [Path(p).resolve() for p in paths]

    def written(path: Path) -> bool:
        p = path.resolve()
        return any(p == r or r in p.parents for r in roots)

    return {"written": written}


def diff_writes(text: str | bytes, repo: str | Path | None) -> dict[str, Any]:
    """The diff's paths, relative to `repo` (or the working directory, where a diff is usually applied)."""
    root = Path(repo if repo is not None else Path.cwd()).resolve()
    changed: dict[Path, Any] = {}

    def files() -> dict[Path, Any]:
        if not changed:  # parsed only if a config file was found at all
            for cf in load_diff(text, repo=repo).files:
                changed[(root / cf.path).resolve()] = cf
                changed[(root / (cf.old_path or cf.path)).resolve()] = cf
        return changed

    def before(path: Path) -> str | None:
        cf = files().get(path.resolve())
        return cf.before.text if cf is not None and cf.before is not None and not cf.before.partial else None

    return {"written": lambda path: path.resolve() in files(), "before": before}
