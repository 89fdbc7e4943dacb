"""False positives on real human code: `specgap scan --files` over well-known installed packages.

Usage: python bench/fp_packages.py [PACKAGE ...] [--show N]

Every source file of each package (its tests and conftests included) is scanned as if an agent had
written it, which is the harshest setting: all lines count as added. The sources are copied to a
temporary tree first, without the `__pycache__` and extension modules that installation produced
(in a real change those would be planted bytecode; here they are install artifacts). Prints findings per 1,000 files by rule
and severity; every medium+ finding here is presumed false until shown otherwise, and the first
`--show` of them are printed for review. Never asserts.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import specgap
from specgap import Severity

PACKAGES = ["_pytest", "numpy", "scipy", "pandas", "sqlalchemy", "attr", "click", "rich", "hypothesis",
            "requests", "polars", "matplotlib"]


def package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("packages", nargs="*", default=PACKAGES)
    ap.add_argument("--show", type=int, default=15, help="print this many medium+ findings for review")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: every core)")
    args = ap.parse_args()
    total_files = 0
    by_rule_sev: Counter[tuple[str, str]] = Counter()
    medium_plus = []
    print(f"{'package':12s} {'files':>6s} {'secs':>6s} {'findings':>8s} {'medium+':>7s} {'per 1k files (medium+)':>22s}")
    for name in args.packages:
        root = package_dir(name)
        if root is None:
            print(f"{name:12s} not installed; skipped")
            continue
        tmp = Path(tempfile.mkdtemp(prefix="specgap-fp-"))
        src = tmp / root.name
        shutil.copytree(root, src, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "*.dll"))
        t0 = time.perf_counter()
        # scanned from above, as a repo holds its package; default config, whatever sits around it
        result = specgap.scan_files([tmp], config=specgap.Config(), jobs=args.jobs)
        findings = result.findings
        dt = time.perf_counter() - t0
        shutil.rmtree(tmp)
        n = sum(1 for f in result.summary["files"] if f["path"].endswith(".py"))
        mp = [f for f in findings if f.severity >= Severity.MEDIUM]
        total_files += n
        for f in findings:
            by_rule_sev[(f.rule_id, f.severity.value)] += 1
        medium_plus += [(name, f) for f in mp]
        print(f"{name:12s} {n:6d} {dt:6.1f} {len(findings):8d} {len(mp):7d} {1000 * len(mp) / max(n, 1):22.2f}")
    print(f"\nall packages: {total_files} Python files; findings per 1,000 files by rule and severity:")
    for (rid, sev), c in sorted(by_rule_sev.items()):
        print(f"  {rid} {sev:8s} {c:6d}  {1000 * c / max(total_files, 1):8.2f}")
    print(f"medium+ per 1,000 files: {1000 * len(medium_plus) / max(total_files, 1):.2f}")
    for name, f in medium_plus[: args.show]:
        print(f"\n[{name}] {f.path}:{f.line} {f.rule_id} {f.name} {f.severity}/{f.confidence}: {f.message}")
        print("    " + f.evidence.replace("\n", "\n    ")[:400])
    return 0


if __name__ == "__main__":
    sys.exit(main())
