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

The machine may be shared, so beside wall time the table has CPU seconds (user + system, children
included). Under bubblewrap the tests' own CPU time never reaches our rusage (bwrap does not reap
its PID-namespace child); verify counts it inside the child and reports it in its JSON `timing`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
    covers: str = ""


PROJECTS = (
    Project("attrs", "26.1.0", ("hypothesis", "pympler", "cloudpickle"), covers="hypothesis, parametrize, importlib mode in addopts"),
    Project("packaging", "26.4", ("pretend", "hypothesis", "tomli_w"),
            covers="heavy parametrize, hypothesis, -m 'not property' and -p no:... in list-form addopts"),
    Project("more-itertools", "11.2.1", (), covers="unittest, subTest"),
    Project("idna", "3.21", ("hypothesis",), covers="unittest, subTest, hypothesis"),
    Project("cachetools", "8.0.2", (), covers="unittest, subTest"),
    Project("toolz", "1.2.0", (), covers="tests inside the package, testpaths"),
    Project("pluggy", "1.7.0", (), covers="testpaths, filterwarnings=error, plugin machinery"),
    Project("iniconfig", "2.3.1", (), covers="parametrize, tmp_path"),
    Project("six", "1.17.0", (), covers="single test file, skipif"),
    Project("parse", "1.22.4", ("pytest-cov",), covers="doctests and --cov in addopts (dropped)"),
    Project("boltons", "26.2.0", (), covers="many small modules, skipif"),
    # Its conftest marks tests with pytest-cov's `no_cover` under filterwarnings=error: the plugin
    # must be autoloaded.
    Project("python-dateutil", "4.0.0", ("freezegun", "hypothesis", "pytz", "attrs", "pytest-cov"),
            covers="xfail_strict, filterwarnings=error, an autoloaded plugin's marker, files written, hypothesis"),
    # pytest-subtests (installed with pytest 8) must be autoloaded there.
    Project("referencing", "0.37.0", ("jsonschema",), covers="subtests fixture (pytest 9's own, pytest-subtests on 8), a JSON test suite"),
    Project("pyrsistent", "0.20.0", ("hypothesis",), covers="hypothesis"),
)
PYTESTS = {"newest": "pytest", "8": "pytest>=8,<9"}


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def timed(cmd: list[str], **kw) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run cmd; return it with its wall seconds and the CPU seconds (user + system) of it and every
    descendant it waited for, which is what the run costs a shared machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    out = sh(cmd, **kw)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out, wall, cpu


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
    extra = ["pytest-subtests"] if line == "8" else []
    wanted = " ".join([PYTESTS[line], *p.deps, *extra])
    ready = venv / ".ready"
    if ready.exists():
        if ready.read_text() != wanted:  # test dependencies were added since the venv was built
            got = sh([str(py), "-m", "pip", "install", "-q", PYTESTS[line], *p.deps, *extra])
            if got.returncode:
                raise RuntimeError(f"pip install {p.name} deps (pytest {line}): {got.stderr[-800:]}")
            ready.write_text(wanted)
        return py
    shutil.rmtree(venv, ignore_errors=True)
    sh([sys.executable, "-m", "venv", str(venv)], check=True)
    # Built from a copy: an in-tree build leaves build/ and *.egg-info behind in the repository.
    src = cache / "build" / tree.name
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(tree, src, ignore=shutil.ignore_patterns(".git"))
    got = sh([str(py), "-m", "pip", "install", "-q", str(src), PYTESTS[line], *p.deps, *extra])
    shutil.rmtree(src, ignore_errors=True)
    if got.returncode:
        raise RuntimeError(f"pip install {p.name} (pytest {line}): {got.stderr[-800:]}")
    ready.write_text(wanted)
    return py


def plain(py: Path, tree: Path, work: Path) -> tuple[str, float, float, str]:
    """Plain pytest in a fresh copy of the tree, as the project's CI would run it."""
    copy = work / "plain"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(tree, copy, ignore=shutil.ignore_patterns(".git"))
    env = {"PATH": f"{py.parent}:/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8"}
    out, wall, cpu = timed([str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=copy, env=env, timeout=900)
    verdict = {0: "pass", 1: "fail"}.get(out.returncode, f"rc{out.returncode}")
    tail = (out.stdout + out.stderr).strip().splitlines()
    return verdict, wall, cpu, tail[-1] if tail else ""


def verify(py: Path, tree: Path, sandbox: str) -> tuple[str, float, float, dict]:
    cmd = [sys.executable, "-m", "specgap", "verify", "--repo", str(tree), "--base", "HEAD", "--python", str(py),
           "--sandbox", sandbox, "--no-nop-check", "--no-inflation", "--no-scan", "--timeout", "900", "--format", "json"]
    out, wall, cpu = timed(cmd, timeout=1200)
    try:
        doc = json.loads(out.stdout)
    except ValueError:
        return f"rc{out.returncode}", wall, cpu, {"error": out.stderr.strip()[-500:]}
    if doc.get("summary", {}).get("isolation", {}).get("level") == "bwrap":
        # bwrap never reaps its PID-namespace child, so the tests' CPU time is missing from our
        # rusage; verify counts it from inside the child and reports it.
        cpu += sum(v for k, v in doc.get("timing", {}).items() if k.endswith("_cpu"))
    return str(doc.get("verdict")), wall, cpu, doc


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
    rows: list[Row] = []
    setup_errors: list[tuple[str, str, str]] = []
    for p in projects:
        for line in lines:
            try:
                tree = tree_of(p, args.cache)
                py = venv_of(p, line, args.cache, tree)
            except (RuntimeError, subprocess.CalledProcessError, StopIteration) as exc:
                setup_errors.append((p.name, line, (str(exc) or type(exc).__name__).splitlines()[-1][:80]))
                print(f"{p.name} pytest {line}: setup failed: {exc}", file=sys.stderr, flush=True)
                continue
            if args.prepare:
                print(f"{p.name} pytest {line}: ready", file=sys.stderr, flush=True)
                continue
            work = args.cache / "work" / f"{p.name}-{line}"
            work.mkdir(parents=True, exist_ok=True)
            pv, pw, pc, tail = plain(py, tree, work)
            vv, vw, vc, report = verify(py, tree, args.sandbox)
            if args.reports:
                args.reports.mkdir(parents=True, exist_ok=True)
                (args.reports / f"{p.name}-pytest{line}.json").write_text(json.dumps(report, indent=2))
            ok = (vv == "pass") if pv == "pass" else (vv != "pass")
            rows.append(Row(p.name, line, pv, vv, pw, vw, pc, vc, ok))
            print(f"{p.name} pytest {line}: plain {pv} {pw:.1f}s/{pc:.1f} cpu-s ({tail[:70]}), "
                  f"verify {vv} {vw:.1f}s/{vc:.1f} cpu-s {report.get('summary', {}).get('reasons') or report.get('error') or ''}",
                  file=sys.stderr, flush=True)
    if not args.prepare:
        print_table(rows, setup_errors)


@dataclass(frozen=True)
class Row:
    project: str
    line: str
    plain: str
    verify: str
    plain_wall: float
    verify_wall: float
    plain_cpu: float
    verify_cpu: float
    correct: bool


def print_table(rows: list[Row], setup_errors: list[tuple[str, str, str]]) -> None:
    head = ("project", "pytest", "plain", "verify", "plain s", "verify s", "wall x", "plain cpu-s", "verify cpu-s", "cpu x", "")
    cells = [head] + [
        (r.project, r.line, r.plain, r.verify, f"{r.plain_wall:.1f}", f"{r.verify_wall:.1f}",
         f"{r.verify_wall / r.plain_wall:.2f}x", f"{r.plain_cpu:.1f}", f"{r.verify_cpu:.1f}",
         f"{r.verify_cpu / max(r.plain_cpu, 0.01):.2f}x", "" if r.correct else "WRONG")
        for r in rows
    ] + [(name, line, "setup-error", "-", "-", "-", "-", "-", "-", "-", why) for name, line, why in setup_errors]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip())
    if rows:
        pw, vw = sum(r.plain_wall for r in rows), sum(r.verify_wall for r in rows)
        pc, vc = sum(r.plain_cpu for r in rows), sum(r.verify_cpu for r in rows)
        within = sum(r.verify_wall <= 1.3 * r.plain_wall + 5 for r in rows)
        within_cpu = sum(r.verify_cpu <= 1.3 * r.plain_cpu + 5 for r in rows)
        print(f"\ntotal: plain {pw:.1f}s, verify {vw:.1f}s ({vw / pw:.2f}x); cpu plain {pc:.1f}s, verify {vc:.1f}s "
              f"({vc / max(pc, 0.01):.2f}x); within 1.3x + 5 s: wall {within}/{len(rows)}, cpu {within_cpu}/{len(rows)}; "
              f"wrong verdicts: {sum(not r.correct for r in rows)}/{len(rows)}")


if __name__ == "__main__":
    main()
