"""`--call-tests`: function-level tests as data, judged in the parent.

The agent's function runs in worker processes that receive only the arguments and return plain
JSON. Expected values, tolerances and any checker script stay in the trusted parent, so nothing in
the worker (patched pytest, AlwaysEqual objects, frame walking, exit tricks) can reach the verdict.
Each case runs three times (two shuffled passes in one worker, one in a fresh worker); differing
answers reveal state carried between calls.

File format (JSON):
    {"module": "pkg.mod", "function": "f", "tolerance": 1e-9, "check": "checker.py",
     "cases": [{"name": "small", "args": [1, 2], "kwargs": {}, "expected": 3}, ...]}
`module`/`function` may be overridden per case. `check` (relative to the file) defines
`check(case, result) -> bool`, called in the parent with plain data, instead of equality.
"""

from __future__ import annotations

import json
import math
import random
import runpy
import shutil
import sys
import tempfile
from pathlib import Path

from specgap.verify import cleanroom, gitio, runner, sandbox, verdict
from specgap.rules.catalog.verify import MissingResults, NoFinalRecord, RunError, StateDependentResult
from specgap.verify.session import Outcome


class CallTestsError(Exception):
    pass


def load(path: Path) -> dict:
    try:
        spec = json.loads(path.read_text())
    except OSError as exc:
        raise CallTestsError(f"cannot read {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise CallTestsError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(spec, dict) or not isinstance(spec.get("cases"), list) or not spec["cases"]:
        raise CallTestsError(f"{path}: expected an object with a non-empty list of \"cases\"")
    for i, case in enumerate(spec["cases"]):
        if not isinstance(case, dict) or "expected" not in case and "check" not in spec:
            raise CallTestsError(f"{path}: case {i} needs an \"expected\" value (or the file a \"check\" script)")
        if not (case.get("module") or spec.get("module")) or not (case.get("function") or spec.get("function")):
            raise CallTestsError(f"{path}: case {i} does not say which module and function to call")
        if not isinstance(case.get("args", []), list) or not isinstance(case.get("kwargs", {}), dict):
            raise CallTestsError(f"{path}: case {i}: \"args\" must be a list and \"kwargs\" an object")
    return spec


def same(result, expected, tol: float) -> bool:
    """Equality on plain data; floats within `tol`, and never NaN."""
    if isinstance(expected, float) or isinstance(result, float):
        if not (isinstance(result, (int, float)) and isinstance(expected, (int, float))) or isinstance(result, bool):
            return False
        return math.isfinite(result) and math.isfinite(expected) and math.isclose(result, expected, rel_tol=tol, abs_tol=tol)
    if type(result) is not type(expected):
        return False
    if isinstance(expected, list):
        return len(result) == len(expected) and all(same(r, e, tol) for r, e in zip(result, expected))
    if isinstance(expected, dict):
        return result.keys() == expected.keys() and all(same(result[k], expected[k], tol) for k in expected)
    return result == expected


def verify_calls(repo: Path, file: Path, *, base: str | None, python: str, sandbox_level: str,
                 limits: sandbox.Limits) -> Outcome:
    python = python or sys.executable
    try:
        spec = load(file)
        checker = _checker(file, spec)
        level, note = sandbox.choose(sandbox_level)
        site = runner.trusted_site(python)
    except (CallTestsError, sandbox.SandboxUnavailable, OSError, ValueError) as exc:
        return _error(str(exc))
    work = Path(tempfile.mkdtemp(prefix="specgap-calls-"))
    try:
        room = _room(repo, base, work / "room", cleanroom.installed_modules(site))
        return _run(spec, checker, room, python, level, note, site, work, limits)
    except (gitio.GitError, CallTestsError) as exc:
        return _error(str(exc))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _error(message: str) -> Outcome:
    return Outcome(verdict=verdict.Verdict(status=verdict.ERROR, message=message, evidence=[RunError.found(message)]),
                   runner="call-tests")


def _checker(file: Path, spec: dict):
    if "check" not in spec:
        return None
    path = file.parent / spec["check"]
    try:
        fn = runpy.run_path(str(path)).get("check")
    except Exception as exc:  # the operator's checker script: report, do not crash
        raise CallTestsError(f"checker {path} could not be loaded: {type(exc).__name__}: {exc}") from exc
    if not callable(fn):
        raise CallTestsError(f"checker {path} does not define check(case, result)")
    return fn


def _room(repo: Path, base: str | None, dest: Path, installed: frozenset[str]) -> Path:
    """The product code only: from the working tree (tests and startup hooks left out)."""
    if base:
        return cleanroom.build(repo, base, dest, installed=installed).root
    if not repo.is_dir():
        raise CallTestsError(f"{repo} is not a directory")
    try:
        top = gitio.toplevel(repo)
        files = gitio.worktree_files(top)
    except gitio.GitError:
        top = repo
        files = [p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts]
    for rel in files:
        src = top / rel
        if cleanroom.is_trusted_path(rel) or cleanroom.dropped_reason(rel) is not None or src.is_symlink() or not src.is_file():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest / rel)
    dest.mkdir(parents=True, exist_ok=True)
    return dest


def _run(spec, checker, room: Path, python, level, note, site, work: Path, limits) -> Outcome:
    cases = spec["cases"]
    calls = [{"i": i, "module": c.get("module") or spec["module"], "function": c.get("function") or spec["function"],
              "args": c.get("args", []), "kwargs": c.get("kwargs", {})} for i, c in enumerate(cases)]
    rng = random.SystemRandom()
    orders = [rng.sample(range(len(calls)), len(calls)) for _ in range(3)]
    results: dict[int, list] = {i: [] for i in range(len(calls))}
    problems: list = []
    for w, worker_orders in enumerate((orders[:2], orders[2:])):
        child = runner.Child(python=python, room=room, work=work / f"w{w}", mode="calls", files=[], site=site,
                             level=level, limits=limits, extra={"module": spec["module"] if "module" in spec else "",
                                                                "calls": calls, "orders": worker_orders})
        res = runner.run(child)
        if res.timed_out or res.flooded or res.spawn_error:
            why = res.spawn_error or ("the worker exceeded its wall-time limit" if res.timed_out else "the worker flooded its output")
            return _error(why)
        final = False
        for rec in res.records:
            if rec.get("t") == "result" and rec.get("i") in results:
                results[rec["i"]].append(rec)
            final = final or rec.get("t") == "final"
        if not final:
            problems.append(NoFinalRecord.found(f"worker {w + 1} ended before its end-of-run record (exit status {res.returncode})",
                                                evidence=res.output[-1500:]))
    tol = float(spec.get("tolerance", 0.0))
    v = verdict.Verdict(status=verdict.PASS, evidence=problems)
    missing = 0
    for i, case in enumerate(cases):
        name = str(case.get("name", f"case[{i}]"))
        recs = results[i]
        row = verdict.TestRow(name, "passed")
        if len(recs) != 3:
            row.status, row.detail = "missing", f"{len(recs)} of 3 evaluations returned"
            missing += 1
        elif any("error" in r for r in recs):
            row.status, row.detail = "failed", next(r["error"] for r in recs if "error" in r)
        else:
            values = [r.get("value") for r in recs]
            if any(json.dumps(x, sort_keys=True) != json.dumps(values[0], sort_keys=True) for x in values):
                row.status, row.detail = "failed", f"different results for the same call: {values!r}"[:300]
                v.evidence.append(StateDependentResult.found(f"{name}: {row.detail}"))
            elif not _accept(checker, case, values[0], tol):
                row.status, row.detail = "failed", f"got {values[0]!r}, expected {case.get('expected')!r}"[:300]
        v.tests.append(row)
    if missing:
        v.evidence.append(MissingResults.found(f"{missing} case(s) produced no result"))
    if problems or any(t.status != "passed" for t in v.tests):
        v.status = verdict.FAIL
    return Outcome(verdict=v, isolation=level, isolation_note=note, runner="call-tests")


def _accept(checker, case: dict, result, tol: float) -> bool:
    if checker is None:
        return same(result, case["expected"], tol)
    try:
        return checker(case, result) is True
    except Exception:  # a checker that raises rejects the result
        return False
