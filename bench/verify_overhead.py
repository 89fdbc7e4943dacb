"""Overhead of `specgap verify` over plain pytest on a real test suite. Prints numbers; never asserts.

The suite is attrs' own (a mid-size pure-Python package whose sdist ships its tests):

    python bench/verify_overhead.py                      # downloads attrs==25.3.0 with pip
    python bench/verify_overhead.py --sdist attrs-25.3.0.tar.gz --repeat 5

Each round runs, interleaved so machine load hits all alike: plain `python -m pytest` (bytecode
cache warm, as a developer would have it), `specgap verify --sandbox none` (in-process layers:
clean room, env-clean child, signed records, canaries) and `specgap verify --sandbox bwrap` when
bubblewrap works. A one-test repo measured the same way gives the fixed start-up cost, so the
report shows both the raw ratio and the ratio once that fixed cost is taken out. The do-nothing
check, harness-inflation run and static scan are switched off: they are separate runs, not
overhead on this one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]


def fetch(version: str, dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
                    f"attrs=={version}", "-d", str(dest)], check=True)
    return next(dest.glob("attrs-*.tar.gz"))


def unpack(sdist: Path, dest: Path) -> Path:
    with tarfile.open(sdist) as tf:
        tf.extractall(dest, filter="data")
    tree = next(p for p in dest.iterdir() if p.is_dir() and p.name.startswith("attrs"))
    commit(tree)
    return tree


def commit(tree: Path) -> None:
    subprocess.run([*GIT, "init", "-q"], cwd=tree, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=tree, check=True)
    subprocess.run([*GIT, "commit", "-qm", "base"], cwd=tree, check=True)


def tiny(dest: Path) -> Path:
    tree = dest / "tiny"
    (tree / "src" / "tinypkg").mkdir(parents=True)
    (tree / "tests").mkdir()
    (tree / "src" / "tinypkg" / "__init__.py").write_text("def one():\n    return 1\n")
    (tree / "tests" / "test_one.py").write_text("from tinypkg import one\n\ndef test_one():\n    assert one() == 1\n")
    commit(tree)
    return tree


def plain(tree: Path) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=tree, env=env,
                       capture_output=True, text=True)
    summary = (r.stdout.strip().splitlines() or ["?"])[-1]
    return time.monotonic() - t0, f"rc {r.returncode}: {summary}"


def verify(tree: Path, level: str) -> tuple[float, str]:
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "specgap", "verify", "--repo", str(tree), "--base", "HEAD",
                        "--sandbox", level, "--no-nop-check", "--no-inflation", "--no-scan", "--format", "json"],
                       capture_output=True, text=True)
    elapsed = time.monotonic() - t0
    try:
        data = json.loads(r.stdout)
        return elapsed, f"{data['verdict']}: {data['counts']['passed']}/{data['counts']['total']} passed"
    except (ValueError, KeyError):
        return elapsed, f"exit {r.returncode}: {r.stderr.strip()[-200:]}"


def bwrap_works() -> bool:
    try:
        return subprocess.run(["bwrap", "--unshare-all", "--ro-bind", "/", "/", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


def measure(tree: Path, modes: list[str], repeat: int) -> dict[str, tuple[float, str]]:
    plain(tree)  # warm the bytecode cache plain pytest would normally have
    times: dict[str, list[float]] = {m: [] for m in modes}
    last: dict[str, str] = {}
    for _ in range(repeat):
        for m in modes:
            t, note = plain(tree) if m == "plain" else verify(tree, m)
            times[m].append(t)
            last[m] = note
    return {m: (statistics.median(ts), last[m]) for m, ts in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sdist", type=Path, help="attrs sdist (.tar.gz); downloaded with pip when omitted")
    ap.add_argument("--version", default="25.3.0")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    modes = ["plain", "none"] + (["bwrap"] if bwrap_works() else [])
    with tempfile.TemporaryDirectory(prefix="specgap-bench-") as tmp:
        root = Path(tmp)
        sdist = args.sdist or fetch(args.version, root)
        tree = unpack(sdist, root)
        print(f"suite: {sdist.name}; {args.repeat} rounds, median wall time; load average {os.getloadavg()[0]:.1f}")
        small = measure(tiny(root), modes, args.repeat)
        big = measure(tree, modes, args.repeat)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"\n{'mode':<8} {'one-test repo':>14} {'attrs suite':>12} {'ratio':>7} {'ratio - fixed':>14}  result")
    base_small, base_big = small["plain"][0], big["plain"][0]
    for m in modes:
        fixed = small[m][0] - base_small
        ratio = big[m][0] / base_big
        adjusted = (big[m][0] - fixed) / base_big
        print(f"{m:<8} {small[m][0]:>13.2f}s {big[m][0]:>11.2f}s {ratio:>6.2f}x {adjusted:>13.2f}x  {big[m][1]}")
    print("\nfixed start-up cost (one-test repo, verify minus plain): "
          + ", ".join(f"{m} {small[m][0] - base_small:+.2f}s" for m in modes if m != "plain"))


if __name__ == "__main__":
    main()
