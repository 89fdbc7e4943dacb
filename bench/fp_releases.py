"""False positives on real human changes: consecutive releases of popular packages, diffed.

Usage: python bench/fp_releases.py [--cache DIR] [--show N] [--profile default|agent]

We cannot clone repositories here, but PyPI serves source distributions (code, tests, conftests,
CI config for many): the change between two consecutive patch releases is a small bundle of real
human commits. Each pair is scanned with `specgap scan --trees OLD NEW`. A release is "flagged"
when any finding reaches medium; since a release bundles several commits, the per-release rate is
an upper bound on the per-commit rate (goal: <= 2% of commits flagged at medium+). Never asserts.
Needs network access to PyPI on first run; sdists are cached under bench/out/sdists.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

import specgap
from specgap import Severity

# (package, consecutive versions): patch releases of well-known pure-Python projects
RELEASES = [
    ("requests", ["2.31.0", "2.32.0", "2.32.1", "2.32.2", "2.32.3"]),
    ("click", ["8.1.4", "8.1.5", "8.1.6", "8.1.7", "8.1.8"]),
    ("attrs", ["23.1.0", "23.2.0", "24.1.0", "24.2.0"]),
    ("flask", ["3.0.0", "3.0.1", "3.0.2", "3.0.3"]),
    ("jinja2", ["3.1.2", "3.1.3", "3.1.4", "3.1.5"]),
    ("pluggy", ["1.3.0", "1.4.0", "1.5.0"]),
    ("packaging", ["23.1", "23.2", "24.0", "24.1"]),
    ("pytest", ["8.0.0", "8.0.1", "8.0.2", "8.1.0", "8.1.1"]),
    ("urllib3", ["2.2.0", "2.2.1", "2.2.2", "2.2.3"]),
    ("idna", ["3.5", "3.6", "3.7"]),
    ("markupsafe", ["2.1.3", "2.1.4", "2.1.5"]),
    ("itsdangerous", ["2.1.1", "2.1.2", "2.2.0"]),
]


def fetch(pkg: str, version: str, cache: Path) -> Path | None:
    """Unpacked sdist directory, downloading it once."""
    dest = cache / f"{pkg}-{version}"
    if dest.exists():
        return dest
    dl = cache / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    before = set(dl.iterdir())
    r = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        "-d", str(dl), f"{pkg}=={version}"],
                       capture_output=True, text=True)
    new = [p for p in set(dl.iterdir()) - before] or [p for p in dl.iterdir() if p.name.lower().startswith(
        f"{pkg.lower()}-{version}")]
    if not new:
        print(f"  {pkg} {version}: download failed: {r.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    archive = new[0]
    tmp = cache / f".{pkg}-{version}.tmp"
    if archive.suffix == ".zip":
        zipfile.ZipFile(archive).extractall(tmp)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(tmp, filter="data")
    inner = next(tmp.iterdir()) if len(list(tmp.iterdir())) == 1 else tmp
    inner.rename(dest)
    return dest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=Path(__file__).parent / "out" / "sdists")
    ap.add_argument("--show", type=int, default=20)
    ap.add_argument("--profile", choices=["default", "agent"], default="default",
                    help="agent: the rate a gate with `--profile agent` would show on human changes")
    args = ap.parse_args()
    pairs = flagged = changed_files = flagged_files = 0
    by_rule: Counter[str] = Counter()
    shown = []
    for pkg, versions in RELEASES:
        dirs = [fetch(pkg, v, args.cache) for v in versions]
        for (v1, d1), (v2, d2) in zip(zip(versions, dirs), zip(versions[1:], dirs[1:])):
            if d1 is None or d2 is None:
                continue
            result = specgap.scan_trees(d1, d2, config=specgap.Config(profile=args.profile))  # default config: the rules alone
            findings = [f for f in result.findings if f.severity >= Severity.MEDIUM]
            pairs += 1
            n_py = sum(1 for f in result.summary["files"] if f["path"].endswith(".py"))
            changed_files += n_py
            files_hit = {f.path for f in findings}
            flagged_files += len(files_hit)
            flagged += bool(findings)
            by_rule.update(f.rule_id for f in findings)
            print(f"{pkg:12s} {v1:>7s} -> {v2:<7s} changed .py files: {n_py:4d}  medium+ findings: {len(findings)}")
            shown += [(f"{pkg} {v1}->{v2}", f) for f in findings]
    if not pairs:
        print("no release pairs could be fetched (no network?)", file=sys.stderr)
        return 2
    print(f"\nrelease pairs: {pairs}, flagged at medium+: {flagged} ({flagged / pairs:.1%})")
    print(f"changed .py files: {changed_files}, with a medium+ finding: {flagged_files} "
          f"({flagged_files / max(changed_files, 1):.2%})")
    print("medium+ by rule: " + (", ".join(f"{r}:{n}" for r, n in by_rule.most_common()) or "none"))
    for where, f in shown[: args.show]:
        print(f"\n[{where}] {f.path}:{f.line} {f.rule_id} {f.name} {f.severity}/{f.confidence}: {f.message}")
        print("    " + f.evidence.replace("\n", "\n    ")[:400])
    return 0


if __name__ == "__main__":
    sys.exit(main())
