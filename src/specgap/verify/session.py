"""One verification: clean room, disguised tests, sandboxed child, verdict, honesty signals."""

from __future__ import annotations

import fnmatch
import glob
import random
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from specgap.model import Finding
from specgap.verify import baseconfig, canaries, cleanroom, doctests, gitio, plugins, runner, sandbox, verdict
from specgap.rules.catalog.verify import DoNothingPasses, ExcludedFile, HarnessInflation, RunError

RUNNERS = ("pytest", "unittest", "script")


@dataclass
class Options:
    repo: Path
    base: str
    tests: tuple[Path, ...] = ()
    holdout: Path | None = None
    python: str = ""
    runner: str = "pytest"
    isolation: str = "auto"
    plugins: tuple[str, ...] = ()
    autoload: bool = True       # installed pytest plugins outside the repo, as plain pytest loads them
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    nop_check: bool = True
    inflation: bool = True


@dataclass
class Outcome:
    verdict: verdict.Verdict
    isolation: str = "none"
    isolation_note: str = ""
    base: str = ""
    runner: str = "pytest"
    timing: dict[str, float] = field(default_factory=dict)
    output: str = ""


def _select(kind: str):
    """Which trusted files are tests: unittest's and scripts' `test*.py`, else the base config's."""
    if kind in ("unittest", "script"):
        return lambda p: p.rsplit("/", 1)[-1].startswith("test") and p.endswith(".py")
    return None


def _error(message: str, **kw) -> Outcome:
    v = verdict.Verdict(status=verdict.ERROR, message=message, evidence=[RunError.found(message)],
                        decided_by=verdict.BY_ERROR, reasons=[message])
    return Outcome(verdict=v, **kw)


def verify(opts: Options) -> Outcome:
    python = opts.python or sys.executable
    try:
        level, note = sandbox.choose(opts.isolation)
    except sandbox.SandboxUnavailable as exc:
        return _error(str(exc))
    try:
        site = runner.trusted_site(python)
    except (OSError, ValueError) as exc:
        return _error(f"interpreter {python!r} is not usable: {exc}")
    # A .pth path line into the repository (an editable install of the project itself) would bring
    # the working tree back in beside the clean room.
    repo = opts.repo.resolve()
    site = [p for p in site if not Path(p).resolve().is_relative_to(repo)]
    if opts.runner == "script" and not opts.tests:
        return _error("script graders need --tests naming the grader script(s)")
    work = Path(tempfile.mkdtemp(prefix="specgap-verify-"))
    try:
        return _verify(opts, python, level, note, site, work)
    except gitio.GitError as exc:
        return _error(str(exc), isolation=level, isolation_note=note)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _prepare(opts: Options, work: Path, *, from_base: bool, rng: random.Random, installed: frozenset[str],
             canaries_per_module: int = 2):
    room = cleanroom.build(
        opts.repo, opts.base, work / "room", tests=opts.tests, holdout=opts.holdout,
        product_from_base=from_base, select=_select(opts.runner), installed=installed,
    )
    if opts.runner == "pytest" and not opts.tests:
        room.test_files = _under_testpaths(room.test_files, baseconfig.read(room.root).get("testpaths", []))
    files = room.test_files + room.holdout_files
    plan = canaries.Plan()
    if opts.runner != "script":
        texts = {f: (room.root / f).read_text("utf-8", "surrogateescape") for f in files}
        plan, rewritten = canaries.plan_and_rewrite(texts, rng, canaries_per_module)
        for f, text in rewritten.items():
            if text != texts[f]:
                (room.root / f).write_text(text, "utf-8", "surrogateescape")
    return room, files, plan


def _under_testpaths(files: list[str], testpaths: list[str]) -> list[str]:
    """The test files pytest will look at when it starts from the base's `testpaths` (globs too)."""
    roots = [p.strip("/") for v in testpaths for p in v.split()]
    if not roots:
        return files
    return [f for f in files if any(f == r or f.startswith(r + "/") or fnmatch.fnmatchcase(f.split("/")[0], r.split("/")[0])
                                    and fnmatch.fnmatchcase(f, r + "/*") for r in roots)]


def _child(opts: Options, python: str, level: str, site: list[str], work: Path, room, files, *, stop_first=False,
           docs: tuple[dict, dict] | None = None, census: bool = False):
    args: list[str] = []
    extra: dict = {"census": True} if census else {}
    if opts.runner == "pytest":
        cfg = baseconfig.read(room.root)
        loaded = list(opts.plugins)
        if opts.autoload:
            loaded[:0] = plugins.autoload(site, room.root, opts.repo.resolve(), set(cfg.get("disabled_plugins", [])))
        cfg, reruns = baseconfig.rerun_settings(cfg, loaded)
        ini = work / "harness" / "pytest.ini"
        ini.parent.mkdir(parents=True, exist_ok=True)
        ini.write_text(baseconfig.ini_text(cfg, room.root))
        scratch = runner.scratch(level, work) / "work"
        # The cache lives in this run's scratch dir: suites keep their `cache` fixture, and
        # nothing planted in the tree (--lf, stepwise state) is read.
        args = ["-c", str(ini), "--rootdir", str(room.root), "--confcutdir", str(room.root),
                "-o", f"cache_dir={scratch / 'pytest-cache'}", "-p", "no:stepwise",
                # One line per failure: the output is only for people (the records carry each
                # failure's message). pytest's long and short styles parse the whole test module
                # again for every failure (0.1-0.3 CPU-s per failing canary in packaging's large
                # parametrized modules), and every style but `line` looks through all passed
                # setup and teardown reports for each failure in the summary, after the results
                # are recorded: failures x tests, 57 CPU-s for packaging's ~450 failing canaries.
                "-q", "--tb=line", "-o", "console_output_style=classic", "--basetemp", str(scratch / "basetemp"),
                *cfg.get("addopts", []), *reruns]
        if docs is not None:
            # The code under test's doctests are tests: the base revision's run (see doctests.py).
            extra["doctests"], extra["lost_doctests"] = docs
        if census:
            args.append("--collect-only")
        for name in loaded:
            args += ["-p", name]
        if stop_first:
            args.append("-x")
        # The whole suite as pytest would find it (testpaths, collect_ignore, norecursedirs all
        # apply); only explicit --tests name files.
        if opts.tests:
            args += files
        else:
            roots = [p for v in cfg.get("testpaths", []) for g in v.split() for p in sorted(glob.glob(g, root_dir=room.root))]
            args += roots + room.holdout_files if roots else ["."]
    return runner.Child(python=python, room=room.root, work=work, mode=opts.runner, files=files, args=args,
                        site=site, protect=room.protected, level=level, limits=opts.limits, extra=extra)


def _verify(opts: Options, python: str, level: str, note: str, site: list[str], work: Path) -> Outcome:
    rng = random.SystemRandom()
    # The standard library too: pytest's default import mode puts a test package's base dir (often
    # the room itself) in front of sys.path, where a new `json.py` would shadow the real one.
    installed = cleanroom.installed_modules(site) | frozenset(sys.stdlib_module_names)
    room, files, plan = _prepare(opts, work / "main", from_base=False, rng=rng, installed=installed)
    out = Outcome(verdict=verdict.Verdict(status=verdict.PASS), isolation=level, isolation_note=note,
                  base=room.base, runner=opts.runner)
    if plan.errors:
        return _error("malformed test file(s): " + "; ".join(f"{p}: {e}" for p, e in plan.errors.items()),
                      isolation=level, isolation_note=note, base=room.base, runner=opts.runner)
    if not files:
        return _error("no test files found at the base revision" + (" under the given --tests" if opts.tests else ""),
                      isolation=level, isolation_note=note, base=room.base, runner=opts.runner)
    docs, doc_note = None, ""
    if opts.runner == "pytest" and baseconfig.doctest_modules(baseconfig.read(room.root)):
        docs, doc_note = _base_doctests(opts, python, level, site, work, rng, room, out)
    res = runner.run(_child(opts, python, level, site, work / "main", room, files, docs=docs))
    v = verdict.decide(plan, res)
    if doc_note:
        v.notes.append(doc_note)
    out.verdict, out.output = v, res.output
    out.timing["run"] = res.wall
    out.timing["run_cpu"] = res.cpu
    v.evidence += [ExcludedFile.found(f"{e.path}: {e.reason}", path=e.path) for e in room.excluded]

    if opts.holdout is not None:
        gap = verdict.holdout_gap(v)
        if gap is not None:
            v.evidence.append(gap)
    if v.status == verdict.PASS and opts.nop_check:
        _nop(opts, python, level, site, work, rng, out)
    if room.harness_changed and opts.inflation and opts.runner == "pytest" and v.status != verdict.ERROR:
        _inflation(opts, python, level, work, out)
    return out


def _base_doctests(opts: Options, python: str, level: str, site: list[str], work: Path, rng, room,
                   out: Outcome) -> tuple[tuple[dict, dict], str]:
    """The doctests the changed code must pass (see doctests.expected), and a note if the base's
    census failed (then each kept file's source decides, and a deleted file's doctests are not run)."""
    static = {rel: doctests.base_doctests(src) for rel, src in room.base_code.items()}
    deleted = {rel: doctests.base_doctests(src) for rel, src in room.deleted_code.items()}
    if not any(e["docs"] for e in (*static.values(), *deleted.values())):
        return (static, {}), ""
    base, files, _ = _prepare(opts, work / "census", from_base=True, rng=rng, installed=frozenset(),
                              canaries_per_module=0)
    res = runner.run(_child(opts, python, level, site, work / "census", base, files, census=True))
    out.timing["doctest_census"] = res.wall
    out.timing["doctest_census_cpu"] = res.cpu
    found = next((r for r in res.records if r.get("t") == "doctests"), None)
    if found is None or res.forged or res.timed_out or not any(r.get("t") == "final" for r in res.records):
        why = res.spawn_error or ("timed out" if res.timed_out else (res.output.strip().splitlines() or ["no result"])[-1])
        note = f"the base revision's doctests could not be collected ({why[:200]}); they were read from its source, and those of deleted files were not run"
        return doctests.expected(static, deleted, None, set()), note
    errors = {r.get("id", "").split("::", 1)[0] for r in res.records if r.get("t") == "collect_error"}
    return doctests.expected(static, deleted, found["items"], errors), ""


def _nop(opts: Options, python: str, level: str, site: list[str], work: Path, rng, out: Outcome) -> None:
    """Run the same tests on the base revision's product code: if they pass, the change proved nothing."""
    # The base code is trusted, so no canaries: the first failure (-x) already answers the question.
    room, files, plan = _prepare(opts, work / "nop", from_base=True, rng=rng, installed=frozenset(), canaries_per_module=0)
    res = runner.run(_child(opts, python, level, site, work / "nop", room, files, stop_first=True))
    out.timing["do_nothing"] = res.wall
    out.timing["do_nothing_cpu"] = res.cpu
    nv = verdict.decide(plan, res)
    if nv.status == verdict.PASS:
        out.verdict.evidence.append(DoNothingPasses.found(
            "the base revision already passes these tests: this run proves nothing about the change"))
        out.verdict.notes.append("do-nothing check: base code passes the same tests")


_SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")


def _inflation(opts: Options, python: str, level: str, work: Path, out: Outcome) -> None:
    """Run the suite the naive way on a sandboxed copy of the working tree and compare pass counts."""
    repo = gitio.toplevel(opts.repo)
    naive = work / "naive" / "tree"
    for rel in gitio.worktree_files(repo):
        src = repo / rel
        if src.is_file() and not src.is_symlink():
            dest = naive / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
    nwork = work / "naive"
    cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    cmd = runner.confine(cmd, level, nwork, naive, [], python)
    res = runner.RunResult(isolation=level)
    env = runner.clean_env(level, nwork, autoload=True)
    # A naive grader runs the tests from the tree itself, with the repo's own setup.
    env["PYTHONPATH"] = ":".join(str(naive / p) for p in ("src", "") if (naive / p).is_dir())
    runner.execute(cmd, env, naive, opts.limits, res)
    out.timing["naive"] = res.wall
    counts: dict[str, int] = {}
    for line in res.output.splitlines()[-5:]:
        for n, what in _SUMMARY.findall(line):
            counts[what.rstrip("s") if what.startswith("error") else what] = int(n)
    claimed = counts.get("passed", 0)
    passed, total = out.verdict.count("visible")
    msg = (f"the agent's own test setup reports {claimed} passed (exit status {res.returncode}); "
           f"the clean-room run passed {passed} of {total}")
    out.verdict.notes.append(msg)
    if claimed > passed or (res.returncode == 0 and out.verdict.status != verdict.PASS):
        out.verdict.evidence.append(HarnessInflation.found(msg, evidence=res.output[-1500:]))


def scan_findings(repo: Path, base: str) -> tuple[list[Finding], str]:
    """The static scan's findings for the same change, or why they are unavailable."""
    try:
        import specgap

        # the public scan: its config (rules, per-file ignores) is read from the base revision
        return specgap.scan_repo(repo, base).findings, ""
    except Exception as exc:  # the scan is an extra: its failure must not sink the verdict
        return [], f"static scan unavailable: {type(exc).__name__}: {exc}"
