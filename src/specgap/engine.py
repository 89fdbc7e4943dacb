"""Run rules over a change: select them, scope findings to what the change wrote, honour the
suppressions that were already there, drop per-file ignores and baselined findings, fingerprint."""

from __future__ import annotations

import hashlib
import json
import re
import traceback
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from specgap.config import Config, resolve
from specgap.inputs import load_diff, load_files, load_git, load_trees
from specgap.inputs.changeset import gc_paused
from specgap.inputs.roles import matches_any
from specgap.model import ChangeSet, Finding, InputError, Severity
from specgap.rules import scan_rules
from specgap.rules.base import Rule
from specgap.rules.suppressions import Honoured, UnusedSuppression

_WS = re.compile(r"\s+")
BASELINE_VERSION = 1


def fingerprint(f: Finding, occurrence: int = 0) -> str:
    """Line-free identity of a finding: rule, path and the normalized evidence (and which repeat)."""
    norm = _WS.sub(" ", f.evidence).strip()
    h = hashlib.sha256(f"{f.rule_id}\0{f.path}\0{norm}\0{occurrence}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:32]


def with_fingerprints(findings: Iterable[Finding]) -> list[Finding]:
    seen: Counter[tuple[str, str, str]] = Counter()
    out = []
    for f in findings:
        key = (f.rule_id, f.path, _WS.sub(" ", f.evidence).strip())
        out.append(replace(f, fingerprint=fingerprint(f, seen[key])))
        seen[key] += 1
    return out


_FULL_ID = re.compile(r"^SG\d{3,4}$")


def matches(rule_id: str, selectors: Iterable[str]) -> bool:
    """Whether a rule id is named by any selector (an id, or an id prefix such as `SG4`).

    A whole id names only itself: `SG110` is not a prefix of the transcript rules SG1101-SG1109."""
    return any(rule_id == s or (rule_id.startswith(s) and not _FULL_ID.match(s)) for s in selectors)


def select_rules(rules: Iterable[type[Rule]], select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[type[Rule]]:
    """The rules named by `select` (all when empty) and not by `ignore`."""
    sel, ign = tuple(select), tuple(ignore)
    return [r for r in rules if (not sel or matches(r.id, sel)) and not matches(r.id, ign)]


@dataclass
class Outcome:
    findings: list[Finding]
    suppressed: list[Finding] = field(default_factory=list)
    ignored: list[Finding] = field(default_factory=list)     # by per-file-ignores
    baselined: list[Finding] = field(default_factory=list)


def container_of(path: str) -> str:
    """`run.md::tests/test_x.py` -> `run.md`; plain repo paths share the container `""`."""
    return path.rsplit("::", 1)[0] if "::" in path else ""


def split_containers(changeset: ChangeSet) -> list[ChangeSet]:
    """One change per container: each transcript in a scan of many is a separate agent's work, so
    cross-file rules (moved tests, prompt tests for special cases) must not mix them up."""
    keys = sorted({container_of(cf.path) for cf in changeset.files})
    if len(keys) <= 1:
        return [changeset]
    return [
        ChangeSet(
            files=[cf for cf in changeset.files if container_of(cf.path) == key],
            errors=changeset.errors,  # shared: what a rule reports lands in the scan's errors
            source=changeset.source,
            context_loader=lambda key=key: [c for c in changeset.context_files() if container_of(c.path) == key],
        )
        for key in keys
    ]


def _check_each(rule: Rule, containers: list[ChangeSet]) -> Iterator[Finding]:
    for cs in containers:
        yield from rule.check(cs)


@gc_paused  # thousands of live trees: the cycle collector would re-walk them at every full pass
def evaluate(
    changeset: ChangeSet,
    rules: Iterable[type[Rule]],
    *,
    per_file_ignores: Iterable[tuple[str, Iterable[str]]] = (),
    baseline: frozenset[str] = frozenset(),
) -> Outcome:
    """Run `rules` on `changeset`; findings are scoped, suppressed, filtered, sorted and fingerprinted.

    A rule that crashes is reported in `changeset.errors` and the others still run.
    """
    by_path = {cf.path: cf for cf in changeset.files}
    containers = split_containers(changeset)
    honoured = Honoured(changeset)
    scoped: list[Finding] = []
    suppressed: list[Finding] = []
    ran: set[str] = set()
    late: list[UnusedSuppression] = []
    for rule_cls in rules:
        rule = rule_cls()
        ran.add(rule.id)
        if isinstance(rule, UnusedSuppression):
            late.append(rule)  # it judges the others' results, so it runs last
            continue
        for f in _guarded(rule.id, lambda: _check_each(rule, containers), changeset):
            cf = by_path.get(f.path)
            in_scope = rule.scope != "added" or cf is None or cf.touches(f.line, f.end_line)
            # matched even when out of scope, so a suppression on an old line counts as used
            if honoured.match(f):
                if in_scope:
                    suppressed.append(f)
            elif in_scope:
                scoped.append(f)
    for rule in late:
        scoped.extend(_guarded(rule.id, lambda: rule.unused(changeset, honoured.used, ran), changeset))
    scoped.sort(key=lambda f: (f.path, f.line, f.rule_id, f.end_line))
    out = Outcome(findings=[], suppressed=suppressed)
    pfi = [(glob, tuple(ids)) for glob, ids in per_file_ignores]
    for f in with_fingerprints(_dedupe(scoped)):
        if any(matches(f.rule_id, ids) and matches_any(f.path, [glob]) for glob, ids in pfi):
            out.ignored.append(f)
        elif f.fingerprint in baseline:
            out.baselined.append(f)
        else:
            out.findings.append(f)
    return out


def _guarded(rule_id: str, run: Callable[[], Iterable[Finding]], changeset: ChangeSet) -> Iterator[Finding]:
    """A rule's findings; if the rule crashes, an error in `changeset.errors` (the others still run)."""
    try:
        yield from run()
    except Exception as exc:  # a rule bug must not sink the scan; say so loudly instead
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        changeset.errors.append(
            InputError(f"<rule {rule_id}>", f"internal error in rule {rule_id}: {exc!r} at {tb.filename}:{tb.lineno}")
        )


def run_rules(changeset: ChangeSet, rules: Iterable[type[Rule]]) -> list[Finding]:
    """Every finding of `rules` on `changeset`, scoped, suppressed, sorted and fingerprinted."""
    return evaluate(changeset, rules).findings


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, int, str]] = set()
    out = []
    for f in findings:
        key = (f.rule_id, f.path, f.line, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# -- whole scans -------------------------------------------------------------------------------


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


def scan(changeset: ChangeSet, config: Config, *, baseline: frozenset[str] = frozenset(),
         rules: Iterable[type[Rule]] | None = None) -> ScanResult:
    """Run the configured rules (default: the scan catalog) and summarize."""
    chosen = select_rules(scan_rules() if rules is None else rules, config.select, config.ignore)
    out = evaluate(changeset, chosen, per_file_ignores=config.per_file_ignores, baseline=baseline)
    summary = summarize(
        changeset, out.findings,
        config=config.source,
        fail_on=config.fail_on.value,
        rules_run=len(chosen),
        suppressed=len(out.suppressed),
        ignored_per_file=len(out.ignored),
        baselined=len(out.baselined),
    )
    return ScanResult(out.findings, list(changeset.errors), summary)


# -- baselines: fingerprints of accepted findings -----------------------------------------------


class BaselineError(Exception):
    """A baseline file that cannot be used."""


def read_baseline(path: Path) -> frozenset[str]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BaselineError(f"baseline {path} is not JSON: {exc}") from None
    entries = doc.get("findings") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries):
        raise BaselineError(f"baseline {path}: expected {{\"findings\": [{{\"fingerprint\": ...}}, ...]}}, "
                            "as written by --write-baseline")
    return frozenset(e["fingerprint"] for e in entries)


def baseline_document(findings: Iterable[Finding]) -> dict[str, Any]:
    """What --write-baseline stores: fingerprints, with enough beside them for a person to read."""
    return {
        "version": BASELINE_VERSION,
        "findings": [
            {"fingerprint": f.fingerprint, "rule_id": f.rule_id, "path": f.path, "message": f.message}
            for f in findings
        ],
    }


# -- the public entry points: load, configure, scan ---------------------------------------------


def scan_repo(repo: str | Path = ".", base: str | None = None, *, config: Config | None = None,
              baseline: frozenset[str] = frozenset()) -> ScanResult:
    """Scan a git repository's change since `base` (default: uncommitted and untracked vs HEAD).

    Without `config`, the config is read from the base revision, never from the change itself.
    """
    cfg = config or resolve(git=(repo, base))
    return scan(load_git(repo, base, roles=cfg.roles()), cfg, baseline=baseline)


def scan_diff(text: str | bytes, repo: str | Path | None = None, *, config: Config | None = None,
              baseline: frozenset[str] = frozenset()) -> ScanResult:
    """Scan a unified diff; with `repo` (the tree after the change), rules see whole files."""
    cfg = config or resolve(start=Path(repo) if repo is not None else None, **diff_writes(text, repo))
    return scan(load_diff(text, repo=repo, roles=cfg.roles()), cfg, baseline=baseline)


def scan_files(paths: Iterable[str | Path], *, config: Config | None = None,
               baseline: frozenset[str] = frozenset()) -> ScanResult:
    """Scan files and directories as written by an agent (every line counts as written)."""
    paths = [str(p) for p in paths]
    cfg = config or resolve(**files_writes(paths))
    return scan(load_files(paths, roles=cfg.roles()), cfg, baseline=baseline)


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


def scan_trees(before: str | Path, after: str | Path, *, config: Config | None = None,
               baseline: frozenset[str] = frozenset()) -> ScanResult:
    """Scan the difference between two directory trees; config comes from `before`'s side."""
    cfg = config or resolve(start=Path(before))
    return scan(load_trees(before, after, roles=cfg.roles()), cfg, baseline=baseline)
