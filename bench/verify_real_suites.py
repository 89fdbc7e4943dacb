"""`specgap verify` on the unchanged test suites of real projects. Prints a table; never asserts.

Each project's sdist from PyPI (they ship their tests) is unpacked into a git repository, installed
with its test dependencies into its own virtualenv (one with the newest pytest, one with pytest 8),
and its suite is run twice: plain `python -m pytest` in the tree, and `specgap verify --base HEAD`
on the unchanged tree. An honest, unchanged suite that plain pytest passes must get `pass`; one
that plain pytest fails must not.

    python bench/verify_real_suites.py                    # all projects, both pytest lines
    python bench/verify_real_suites.py --only idna,six --pytest newest
    python bench/verify_real_suites.py --prepare          # build the venvs only

Venvs, sdists and trees are cached in --cache (default /work/verify-bench-cache), so reruns only
run the suites. The do-nothing check, inflation run and static scan are off: on an unchanged tree
they answer other questions (the base passes, of course) and would only add runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]


@dataclass(frozen=True)
class Project:
    name: str          # PyPI name
    version: str
    deps: tuple[str, ...] = ()      # test dependencies besides pytest
    plugins: tuple[str, ...] = ()   # pytest plugins the suite needs (verify --plugin)
    covers: str = ""


PROJECTS = (
    Project("attrs", "26.1.0", ("hypothesis", "pympler", "cloudpickle"), covers="hypothesis, parametrize, importlib mode in addopts"),
    Project("packaging", "26.4", ("pretend", "hypothesis", "tomli_w"), covers="heavy parametrize, hypothesis"),
    Project("more-itertools", "11.2.1", (), covers="unittest, subTest"),
    Project("idna", "3.21", ("hypothesis",), covers="unittest, subTest, hypothesis"),
    Project("cachetools", "8.0.2", (), covers="unittest, subTest"),
    Project("toolz", "1.2.0", (), covers="tests inside the package, testpaths"),
    Project("pluggy", "1.7.0", (), covers="testpaths, filterwarnings=error, plugin machinery"),
    Project("iniconfig", "2.3.1", (), covers="parametrize, tmp_path"),
    Project("six", "1.17.0", (), covers="single test file, skipif"),
    Project("parse", "1.22.4", ("pytest-cov",), covers="doctests and --cov in addopts (dropped)"),
    Project("boltons", "26.2.0", (), covers="many small modules, skipif"),
    Project("python-dateutil", "4.0.0", ("freezegun", "hypothesis", "pytz"), covers="xfail_strict, files written, hypothesis"),
    Project("pyrsistent", "0.20.0", ("hypothesis",), covers="hypothesis"),
)
PYTESTS = {"newest": "pytest", "8": "pytest>=8,<9"}


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def tree_of(p: Project, cache: Path) -> Path:
    """The unpacked sdist as a one-commit git repository."""
    tree = cache / "trees" / f"{p.name}-{p.version}"
    if (tree / ".git").is_dir():
        return tree
    sdists = cache / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    got = sh([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
              f"{p.name}=={p.version}", "-d", str(sdists)])
    if got.returncode:
        raise RuntimeError(f"pip download {p.name}: {got.stderr[-500:]}")
    norm = p.name.replace("-", "_").lower()
    sdist = next(s for s in sdists.glob("*.tar.gz") if s.name.lower().replace("-", "_").startswith(f"{norm}_{p.version}."))
    unpack = cache / "trees" / "_unpack"
    shutil.rmtree(unpack, ignore_errors=True)
    unpack.mkdir(parents=True)
    with tarfile.open(sdist) as tf:
        tf.extractall(unpack, filter="data")
    (top,) = list(unpack.iterdir())
    top.rename(tree)
    shutil.rmtree(unpack)
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "sdist"]):
        sh([*GIT, *cmd], cwd=tree, check=True)
    return tree


def venv_of(p: Project, line: str, cache: Path, tree: Path) -> Path:
    venv = cache / "venvs" / f"{p.name}-{p.version}-pytest{line}"
    py = venv / "bin" / "python"
    if (venv / ".ready").exists():
        return py
    shutil.rmtree(venv, ignore_errors=True)
    sh([sys.executable, "-m", "venv", str(venv)], check=True)
    extra = ["pytest-subtests"] if line == "8" else []
    # Built from a copy: an in-tree build leaves build/ and *.egg-info behind in the repository.
    src = cache / "build" / tree.name
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(tree, src, ignore=shutil.ignore_patterns(".git"))
    got = sh([str(py), "-m", "pip", "install", "-q", str(src), PYTESTS[line], *p.deps, *extra])
    shutil.rmtree(src, ignore_errors=True)
    if got.returncode:
        raise RuntimeError(f"pip install {p.name} (pytest {line}): {got.stderr[-800:]}")
    (venv / ".ready").touch()
    return py


def plain(py: Path, tree: Path, work: Path) -> tuple[str, float, str]:
    """Plain pytest in a fresh copy of the tree, as the project's CI would run it."""
    copy = work / "plain"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(tree, copy, ignore=shutil.ignore_patterns(".git"))
    env = {"PATH": f"{py.parent}:/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8"}
    start = time.monotonic()
    out = sh([str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=copy, env=env, timeout=900)
    wall = time.monotonic() - start
    verdict = {0: "pass", 1: "fail"}.get(out.returncode, f"rc{out.returncode}")
    return verdict, wall, (out.stdout + out.stderr).strip().splitlines()[-1:][0] if (out.stdout + out.stderr).strip() else ""


def verify(py: Path, tree: Path, p: Project, sandbox: str) -> tuple[str, float, str]:
    cmd = [sys.executable, "-m", "specgap", "verify", "--repo", str(tree), "--base", "HEAD", "--python", str(py),
           "--sandbox", sandbox, "--no-nop-check", "--no-inflation", "--no-scan", "--timeout", "900"]
    for plugin in p.plugins:
        cmd += ["--plugin", plugin]
    start = time.monotonic()
    out = sh(cmd, timeout=1200)
    wall = time.monotonic() - start
    first = out.stdout.splitlines()[0] if out.stdout else out.stderr.strip()[-200:]
    verdict = first.split()[1].lower() if first.startswith("verdict:") else f"rc{out.returncode}"
    return verdict, wall, out.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("VERIFY_BENCH_CACHE", "/work/verify-bench-cache")))
    ap.add_argument("--only", help="comma-separated project names")
    ap.add_argument("--pytest", choices=[*PYTESTS, "both"], default="both")
    ap.add_argument("--sandbox", default="auto", help="verify's --sandbox (default: auto, verify's default)")
    ap.add_argument("--prepare", action="store_true", help="build trees and venvs, run nothing")
    ap.add_argument("--reports", type=Path, help="write each verify report here")
    args = ap.parse_args()
    projects = [p for p in PROJECTS if not args.only or p.name in args.only.split(",")]
    lines = list(PYTESTS) if args.pytest == "both" else [args.pytest]
    rows = []
    for p in projects:
        for line in lines:
            try:
                tree = tree_of(p, args.cache)
                py = venv_of(p, line, args.cache, tree)
            except (RuntimeError, subprocess.CalledProcessError, StopIteration) as exc:
                rows.append((p.name, line, "setup-error", "-", "-", "-", (str(exc) or type(exc).__name__).splitlines()[-1][:80]))
                print(f"{p.name} pytest {line}: setup failed: {exc}", file=sys.stderr, flush=True)
                continue
            if args.prepare:
                print(f"{p.name} pytest {line}: ready", file=sys.stderr, flush=True)
                continue
            work = args.cache / "work" / f"{p.name}-{line}"
            work.mkdir(parents=True, exist_ok=True)
            pv, pw, tail = plain(py, tree, work)
            vv, vw, report = verify(py, tree, p, args.sandbox)
            if args.reports:
                args.reports.mkdir(parents=True, exist_ok=True)
                (args.reports / f"{p.name}-pytest{line}.txt").write_text(report)
            ok = (vv == "pass") if pv == "pass" else (vv != "pass")
            rows.append((p.name, line, pv, vv, f"{pw:.1f}", f"{vw:.1f}", f"{vw / pw:.2f}x" + ("" if ok else "  WRONG")))
            print(f"{p.name} pytest {line}: plain {pv} {pw:.1f}s ({tail[:70]}), verify {vv} {vw:.1f}s", file=sys.stderr, flush=True)
    if args.prepare:
        return
    head = ("project", "pytest", "plain", "verify", "plain s", "verify s", "overhead")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    timed = [r for r in rows if r[4] != "-"]
    if timed:
        plain_s, verify_s = sum(float(r[4]) for r in timed), sum(float(r[5]) for r in timed)
        within = sum(float(r[5]) <= 1.3 * float(r[4]) + 5 for r in timed)
        wrong = sum(r[6].endswith("WRONG") for r in timed)
        print(f"\ntotal: plain {plain_s:.1f}s, verify {verify_s:.1f}s ({verify_s / plain_s:.2f}x); "
              f"within 1.3x + 5 s: {within}/{len(timed)}; wrong verdicts: {wrong}/{len(timed)}")


if __name__ == "__main__":
    main()
