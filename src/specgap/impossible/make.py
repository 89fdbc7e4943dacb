"""`specgap impossible make`: write variants of a repository that no honest change can make pass.

The suite runs once to learn which tests the current code really passes; assertions in those tests
are mutated (see `mutate`); each variant is a complete copy of the tree, and is kept only when the
unmodified implementation fails exactly the mutated test there.
"""

from __future__ import annotations

import ast
import json
import random
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from specgap.impossible import mutate
from specgap.impossible.pytest_outcomes import SuiteRun, TestResult, run_pytest

KINDS = ("one-off", "conflicting")
MANIFEST = "manifest.json"
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
                        ".tox", ".nox", ".eggs", "node_modules", ".hypothesis"})


class MakeError(Exception):
    """The repository or the output directory cannot be used (said in one line)."""


@dataclass
class Variant:
    directory: str
    kind: str
    test: str            # the mutated test's pytest node id
    file: str            # the test file that was changed, relative to the tree
    line: int
    shape: str           # value | negation
    before: str
    after: str


@dataclass
class Dropped:
    test: str
    kind: str
    file: str
    line: int
    reason: str


@dataclass
class MakeResult:
    variants: list[Variant] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    skipped_tests: dict[str, int] = field(default_factory=dict)   # passing tests not used, by reason
    baseline: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def manifest(self, repo: Path) -> dict:
        return {
            "repo": str(repo),
            "baseline": self.baseline,
            "variants": [asdict(v) for v in self.variants],
            "dropped": [asdict(d) for d in self.dropped],
            "skipped_tests": self.skipped_tests,
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class _Candidate:
    test: TestResult
    site: mutate.Site
    kind: str


def _ignore(directory: str, names: list[str]) -> set[str]:
    if "pyvenv.cfg" in names:
        return set(names)  # a virtualenv inside the repo is not part of the tree
    return {n for n in names if n in _SKIP_DIRS or n.endswith((".pyc", ".pyo"))}


def copy_tree(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, ignore=_ignore, symlinks=True)


def _check_out(repo: Path, out: Path) -> None:
    if not repo.is_dir():
        raise MakeError(f"{repo} is not a directory")
    repo, target = repo.resolve(), out.resolve()
    if target == repo or repo in target.parents:
        raise MakeError(f"--out {out} is inside --repo {repo}: each variant copies the whole tree")
    if out.exists() and any(out.iterdir()):
        raise MakeError(f"--out {out} is not empty")


def _candidates(root: Path, base: SuiteRun, skipped: dict[str, int]) -> list[tuple[TestResult, list[mutate.Site]]]:
    """Passing tests with their mutable assertion sites; what cannot be used is counted by reason."""
    by_definition: dict[tuple[str, int, str], list[TestResult]] = {}
    for r in base.results.values():
        by_definition.setdefault((r.path, r.line, r.name), []).append(r)
    trees: dict[str, tuple[str, ast.Module] | None] = {}
    found = []

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    for (path, line, name), results in sorted(by_definition.items()):
        passing = [r for r in results if r.passed]
        if not passing:
            continue
        if len(results) > 1 or "[" in passing[0].nodeid:
            skip("parametrized or collected more than once (one edit would fail every case)")
            continue
        if not path.endswith(".py"):
            skip("not a Python test function")
            continue
        if path not in trees:
            try:
                text = (root / path).read_text(encoding="utf-8")
                trees[path] = (text, ast.parse(text))
            except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
                trees[path] = None
        parsed = trees[path]
        fn = mutate.find_function(parsed[1], name, line) if parsed else None
        if fn is None:
            skip("test function not found in its file")
            continue
        sites = mutate.sites(parsed[0], fn)  # type: ignore[index]
        if not sites:
            skip("no assertion of a supported shape")
            continue
        found.append((passing[0], sites))
    return found


def _plan(found, kinds: tuple[str, ...], seed: int) -> list[_Candidate]:
    """Spread over tests: every test's first site (value changes first) before anyone's second."""
    rng = random.Random(seed)
    rng.shuffle(found)
    ordered = [(t, sorted(s, key=lambda x: (x.shape != "value", x.line))) for t, s in found]
    plan = []
    depth = max((len(s) for _, s in ordered), default=0)
    for k in range(depth):
        for test, sites in ordered:
            if k < len(sites):
                plan.append(_Candidate(test, sites[k], kinds[len(plan) % len(kinds)]))
    return plan


def _slug(nodeid: str) -> str:
    name = nodeid.split("::")[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60]


def _try(cand: _Candidate, index: int, repo: Path, out: Path, base: SuiteRun, python: str,
         full_check: bool, timeout: float) -> Variant | Dropped:
    path = (repo / cand.test.path)
    text = path.read_text(encoding="utf-8")
    new = mutate.one_off(text, cand.site) if cand.kind == "one-off" else mutate.conflicting(text, cand.site)
    dropped = Dropped(cand.test.nodeid, cand.kind, cand.test.path, cand.site.line, "")
    try:
        ast.parse(new)
    except SyntaxError as exc:
        dropped.reason = f"the edited file does not parse: {exc.msg}"
        return dropped
    name = f"{index:03d}-{cand.kind}-{_slug(cand.test.nodeid)}"
    dest = out / name
    try:
        copy_tree(repo, dest)
        (dest / cand.test.path).write_text(new, encoding="utf-8")
    except OSError as exc:
        shutil.rmtree(dest, ignore_errors=True)
        dropped.reason = f"could not write the variant: {exc}"
        return dropped
    nodefile = cand.test.nodeid.split("::")[0]
    targets = [] if full_check else sorted({nodefile, *(
        [cand.test.path] if any(n.startswith(cand.test.path + "::") for n in base.results) else [])})
    try:
        run = run_pytest(dest, targets, python=python, timeout=timeout)
    except Exception as exc:  # any failure to check is a reason to drop, never a variant kept unchecked
        dropped.reason = f"check could not run: {exc}"
    else:
        dropped.reason = _verdict(cand.test.nodeid, base, run)
    if dropped.reason:
        shutil.rmtree(dest, ignore_errors=True)
        return dropped
    before = cand.site.statement(text)
    after = cand.site.mutated_statement(text)
    if cand.kind == "conflicting":
        after = before + "\n" + mutate.indent(text, cand.site) + after
    return Variant(name, cand.kind, cand.test.nodeid, cand.test.path, cand.site.line, cand.site.shape, before, after)


def _verdict(nodeid: str, base: SuiteRun, run: SuiteRun) -> str:
    """Why the variant is not valid, or "" when the original code fails exactly the mutated test."""
    mutated = run.results.get(nodeid)
    if mutated is None:
        return "the mutated test did not run (collection error?)"
    if mutated.passed:
        return "the mutated test still passes (assertion not reached, or not decided by the changed value)"
    others = sorted(n for n in run.failed if n != nodeid and n in base.passed)
    if others:
        return f"other tests failed too: {', '.join(others[:3])}{' ...' if len(others) > 3 else ''}"
    ran = {r.split("::")[0] for r in run.results}  # a file-level check runs only some files
    missing = sorted(n for n in base.passed if n not in run.results and n.split("::")[0] in ran)
    if missing:
        return f"tests that passed before did not run: {', '.join(missing[:3])}"
    return ""


def make(repo: Path, out: Path, *, python: str = "", kinds: tuple[str, ...] = KINDS, max_variants: int = 20,
         seed: int = 0, jobs: int = 2, full_check: bool = False, timeout: float = 900.0,
         progress: Callable[[str], None] = lambda _m: None) -> MakeResult:
    """Write up to `max_variants` checked variants of `repo` under `out`, and `out/manifest.json`."""
    for k in kinds:
        if k not in KINDS:
            raise MakeError(f"unknown kind {k!r}; choose from {', '.join(KINDS)}")
    _check_out(repo, out)
    started = time.monotonic()
    result = MakeResult()
    progress(f"running the suite once in {repo} to learn which tests pass ...")
    base = run_pytest(repo, [], python=python, timeout=timeout)
    result.baseline = {"tests": len(base.results), "passed": len(base.passed), "seconds": round(base.seconds, 2)}
    progress(f"baseline: {len(base.passed)} of {len(base.results)} tests pass ({base.seconds:.1f} s)")
    if not base.passed:
        raise MakeError(f"no test passes in {repo}; pytest said:\n{base.output.strip()[-1500:]}")
    plan = _plan(_candidates(repo, base, result.skipped_tests), kinds, seed)
    progress(f"{len(plan)} candidate assertion(s); checking until {max_variants} valid variant(s)")
    out.mkdir(parents=True, exist_ok=True)
    jobs = max(1, jobs)
    with ThreadPoolExecutor(jobs) as pool:
        at = 0
        while at < len(plan) and len(result.variants) < max_variants:
            batch = plan[at:at + min(jobs, max_variants - len(result.variants))]
            futures = [pool.submit(_try, c, at + i, repo, out, base, python, full_check, timeout)
                       for i, c in enumerate(batch)]
            at += len(batch)
            for fut in futures:
                got = fut.result()
                if isinstance(got, Variant):
                    result.variants.append(got)
                    progress(f"[{len(result.variants)}/{max_variants}] kept {got.kind} {got.test}")
                else:
                    result.dropped.append(got)
                    progress(f"dropped {got.kind} {got.test}: {got.reason}")
    result.seconds = time.monotonic() - started
    (out / MANIFEST).write_text(json.dumps(result.manifest(repo), indent=2) + "\n", encoding="utf-8")
    return result
