"""Finding-for-finding snapshot of `specgap scan`, to prove a refactor changed no result.

Usage:
    python bench/findings_snapshot.py record SNAPSHOT [--sets fixtures,corpus,packages,releases]
    python bench/findings_snapshot.py compare SNAPSHOT [--sets ...]

Runs every scan rule over four input sets and records every finding (rule id, path, line, end line,
severity, confidence, message, fingerprint) and every input error:

* fixtures: each rule fixture in tests/fixtures/rules, loaded as the fixture test loads it;
* corpus: each item of the dev corpus (../shared/corpus/dev, read only, skipped when absent);
* packages: the installed package trees of bench/fp_packages.py, each copied without build artifacts;
(these two scanned as `specgap.scan_files` scans them, with the default config)
* releases: bench/fp_releases.py's consecutive sdists (only those already in `--sdists`; no download).

`record` writes SNAPSHOT (JSON, keep it outside the repository); `compare` runs again and prints
every finding that appeared or disappeared, per input. Prints counts; exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import specgap
from specgap.config import Config
from specgap.engine import run_rules
from specgap.inputs import load_trees
from specgap.model import ChangeSet, Finding, InputError
from specgap.rules import scan_rules

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parents[1] / "shared" / "corpus" / "dev"  # where bench/corpus.py looks
SETS = ("fixtures", "corpus", "packages", "releases")


def _module(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def _record(cs: ChangeSet) -> list[list[Any]]:
    """Every finding and input error of a full scan of `cs`, as JSON-ready rows."""
    return _rows(run_rules(cs, scan_rules()), cs.errors)


def _scanned(paths: list[Path]) -> list[list[Any]]:
    """The rows of `specgap.scan_files` on `paths`, with the default config: read and parsed as a
    user's scan reads them (each file's tree let go after its rules)."""
    result = specgap.scan_files(paths, config=Config())
    return _rows(result.findings, result.errors)


def _rows(findings: list[Finding], errors: list[InputError]) -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["finding", f.rule_id, f.path, f.line, f.end_line, f.severity.value, f.confidence.value, f.message,
         f.fingerprint]
        for f in findings
    ]
    rows += [["error", e.path, e.message] for e in errors]
    return rows


def fixtures() -> Iterator[tuple[str, Callable[[], list[list[Any]]]]]:
    from specgap.inputs.changeset import build

    t = _module(ROOT / "tests" / "test_rules.py", "_snapshot_test_rules")
    for fx in t._fixture_ids():
        yield fx.name, lambda fx=fx: _record(build(t._load(fx)))


def corpus(root: Path) -> Iterator[tuple[str, Callable[[], list[list[Any]]]]]:
    labels = root / "labels.jsonl"
    if not labels.exists():
        print(f"  no corpus at {root}; skipped", file=sys.stderr)
        return
    for line in labels.read_text().splitlines():
        if line.strip():
            item = json.loads(line)
            yield item["id"], lambda item=item: _scanned([root / item["file"]])


def packages() -> Iterator[tuple[str, Callable[[], list[list[Any]]]]]:
    fp = _module(HERE / "fp_packages.py", "_snapshot_fp_packages")
    for name in fp.PACKAGES:
        root = fp.package_dir(name)
        if root is None:
            print(f"  package {name} not installed; skipped", file=sys.stderr)
            continue
        yield name, lambda root=root: _copied(root)


def _copied(root: Path) -> list[list[Any]]:
    # as fp_packages.py does: a temporary copy without install artifacts, scanned from above
    tmp = Path(tempfile.mkdtemp(prefix="specgap-snap-"))
    try:
        shutil.copytree(root, tmp / root.name, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "*.dll"))
        return _scanned([tmp])
    finally:
        shutil.rmtree(tmp)


def releases(cache: Path) -> Iterator[tuple[str, Callable[[], list[list[Any]]]]]:
    fr = _module(HERE / "fp_releases.py", "_snapshot_fp_releases")
    for pkg, versions in fr.RELEASES:
        for v1, v2 in zip(versions, versions[1:]):
            d1, d2 = cache / f"{pkg}-{v1}", cache / f"{pkg}-{v2}"
            if d1.exists() and d2.exists():
                yield f"{pkg} {v1}->{v2}", lambda d1=d1, d2=d2: _record(load_trees(d1, d2))
            else:
                print(f"  {pkg} {v1}->{v2} not in {cache}; skipped", file=sys.stderr)


def collect(sets: list[str], corpus_root: Path, sdists: Path) -> dict[str, dict[str, list[list[Any]]]]:
    sources = {
        "fixtures": fixtures,
        "corpus": lambda: corpus(corpus_root),
        "packages": packages,
        "releases": lambda: releases(sdists),
    }
    out: dict[str, dict[str, list[list[Any]]]] = {}
    for s in sets:
        t0 = time.perf_counter()
        out[s] = {key: rows() for key, rows in sources[s]()}
        n = sum(r[0] == "finding" for rows in out[s].values() for r in rows)
        print(f"{s:9s} inputs: {len(out[s]):5d}  findings: {n:6d}  ({time.perf_counter() - t0:.1f}s)")
    return out


def compare(old: dict[str, dict[str, list[list[Any]]]], new: dict[str, dict[str, list[list[Any]]]]) -> int:
    differences = 0
    for s in new:
        if s not in old:
            print(f"{s}: not in the snapshot; nothing to compare")
            continue
        for key in sorted(set(old[s]) | set(new[s])):
            a = [json.dumps(r) for r in old[s].get(key, [])]
            b = [json.dumps(r) for r in new[s].get(key, [])]
            if key not in old[s] or key not in new[s]:
                print(f"{s} {key}: input {'added' if key not in old[s] else 'missing'}")
                differences += 1
                continue
            gone = [r for r in a if r not in b]
            came = [r for r in b if r not in a]
            for r in gone:
                print(f"- {s} {key}: {r}")
            for r in came:
                print(f"+ {s} {key}: {r}")
            differences += len(gone) + len(came) + (len(a) != len(b) and not gone and not came)
    print(f"differences: {differences}")
    return differences


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("record", "compare"))
    ap.add_argument("snapshot", type=Path)
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--sdists", type=Path, default=HERE / "out" / "sdists")
    args = ap.parse_args()
    sets = [s for s in args.sets.split(",") if s]
    unknown = set(sets) - set(SETS)
    if unknown:
        ap.error(f"unknown sets: {sorted(unknown)}; choose from {SETS}")
    if args.snapshot.resolve().is_relative_to(ROOT):
        ap.error("keep the snapshot outside the repository")
    new = collect(sets, args.corpus, args.sdists)
    if args.mode == "record":
        args.snapshot.write_text(json.dumps(new))
        print(f"snapshot written to {args.snapshot}")
        return 0
    return 1 if compare(json.loads(args.snapshot.read_text()), new) else 0


if __name__ == "__main__":
    sys.exit(main())
