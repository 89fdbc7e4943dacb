"""Turn authenticated records into a verdict: strict accounting, canaries, sentinels.

A real test passes only when it has exactly one record per phase and every one of them passed
(per copy, when a plugin collects it several times; per attempt, when a rerun plugin retries it).
Missing, skipped (other than by the test file's own marker), xfailed, failed, duplicated: all fail.
A planted test that passes proves manipulation. The child's exit code is never consulted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from specgap.model import Finding, Severity
from specgap.rules.catalog import verify as checks
from specgap.verify.canaries import CANARY, Plan, function_id
from specgap.verify.cleanroom import HOLDOUT_DIR
from specgap.verify.runner import RunResult

PASS, FAIL, TAMPERED, ERROR = "pass", "fail", "tampered", "error"
EXIT = {PASS: 0, FAIL: 1, TAMPERED: 1, ERROR: 2}
# Outcomes the trusted test file itself decided with a skip/skipif/xfail marker: not counted.
# Tests the base revision's own configuration deselected (-m/-k in its addopts, its conftests):
# listed, not counted.
BY_MARKER = ("skipped-by-marker", "xfailed-by-marker", "deselected-by-config", "skipped-by-test", "xfailed-by-test")


@dataclass
class TestRow:
    id: str
    status: str  # passed | failed | skipped | xfailed | missing | duplicated | skipped-/xfailed-by-marker
    suite: str = "visible"
    detail: str = ""


# Which layer decided the verdict, for the report.
BY_TESTS, BY_INTEGRITY, BY_SCAN, BY_ERROR = "tests", "run integrity", "static scan", "error"


@dataclass
class Verdict:
    status: str
    tests: list[TestRow] = field(default_factory=list)
    evidence: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    message: str = ""
    decided_by: str = BY_TESTS
    reasons: list[str] = field(default_factory=list)

    def count(self, suite: str | None = None) -> tuple[int, int]:
        """(passed, counted) over tests that count (marker skips do not)."""
        rows = [t for t in self.tests if t.status not in BY_MARKER and (suite is None or t.suite == suite)]
        return sum(t.status == "passed" for t in rows), len(rows)


def _status(phases: list[dict]) -> tuple[str, str]:
    """The status of one test from its phase records, and the first failure message.

    Each phase reports once; a test's subtests report once each, and any that fails fails it.
    """
    whens = [p["when"] for p in phases]
    if any(whens.count(w) > 1 for w in ("setup", "call", "teardown")):
        return "duplicated", f"phases reported: {', '.join(w for w in whens if w != 'subtest')}"
    for p in phases:
        if p["outcome"] != "passed" and not p.get("by_marker"):
            return p["outcome"], f"{p['when']}: {p.get('msg', '')}".strip()
    marked = [p for p in phases if p.get("by_marker")]
    if marked:
        p = marked[0]
        if p.get("by_test"):
            return f"{p['outcome']}-by-test", p.get("msg", "")
        return ("skipped-by-marker" if p["outcome"] == "skipped" else "xfailed-by-marker"), p.get("msg", "")
    if "call" not in whens:
        return "missing", "no call phase recorded"
    return "passed", ""


def _retried_status(attempts: list[list[dict]]) -> tuple[str, str] | None:
    """The status of a test a rerun plugin ran several times inside one run protocol, or None when
    its records are not reruns: each attempt must follow a failed one, and the last decides, as it
    does for plain pytest."""
    each = [_status(phases) for phases in attempts]
    if any(status != "failed" for status, _ in each[:-1]):
        return None  # a rerun follows a failure only: anything else is a result reported twice
    status, detail = each[-1]
    if status == "failed":
        return status, f"{detail} (failed all {len(each)} attempts)"
    return status, f"{status} on attempt {len(each)} of {len(each)}; attempt 1 failed: {each[0][1]}"


def _runs_status(attempts: list[tuple[object, list[dict]]], copies: int) -> tuple[str, str] | None:
    """The status of a test with several attempts or copies, or None when its records are not what
    pytest makes of them. A test collected `copies` times (pytest-flakefinder's copies) runs once
    per copy, and every copy must pass: repetition cannot outvote a failure, and a copy that never
    ran leaves the test missing. Inside one run, attempts are a rerun plugin's (`_retried_status`).
    Anything else (more runs than copies, a run from inside another test) is a result reported twice."""
    runs: dict[object, list[list[dict]]] = defaultdict(list)
    for run, phases in attempts:
        runs[run].append(phases)
    if None in runs or len(runs) > copies or any(p.get("nested") for _, phases in attempts for p in phases):
        return None
    each = []
    for tries in runs.values():
        got = _retried_status(tries) if len(tries) > 1 else _status(tries[0])
        if got is None:
            return None
        each.append(got)
    if copies == 1:
        return each[0]
    bad = [(i, s) for i, s in enumerate(each, 1) if s[0] != "passed"]
    worst = next(((i, s) for i, s in bad if s[0] not in BY_MARKER), bad[0] if bad else None)
    if worst is not None:
        i, (status, detail) = worst
        return status, f"{detail} (copy {i} of {copies} in the collection)".strip()
    if len(each) < copies:
        return "missing", f"{len(each)} of its {copies} copies in the collection ran"
    return "passed", f"each of its {copies} copies in the collection passed"


def decide(plan: Plan, run: RunResult) -> Verdict:
    v = Verdict(status=PASS)
    ev = v.evidence
    if run.spawn_error:
        ev.append(checks.RunError.found(run.spawn_error))
        v.status, v.message = ERROR, run.spawn_error
        return v

    collected: list[str] = []
    deselected: list[str] = []
    ignored: list[str] = []
    phases: dict[str, list[dict]] = defaultdict(list)
    attempts: dict[str, list[tuple[object, list[dict]]]] = defaultdict(list)  # pytest: one per teardown
    collect_errors: list[dict] = []
    crash = ""
    patched: list[tuple[str, str]] = []
    final_at = None
    stopped = None
    late = 0
    for i, rec in enumerate(run.records):
        t = rec.get("t")
        if final_at is not None:
            late += t != "crash"
            continue
        if t == "collected":
            if collected:
                ev.append(checks.ForgedRecords.found("the trusted reporter saw collection finish twice"))
            collected += rec.get("ids", [])
        elif t == "test":  # a test's phases in one record (pytest)
            phases[rec["id"]] += rec["phases"]
            attempts[rec["id"]].append((rec.get("run"), rec["phases"]))
        elif t == "phase":  # one phase (unittest, scripts)
            phases[rec["id"]].append(rec)
        elif t == "deselected":
            deselected += rec.get("ids", [])
        elif t == "ignored":
            ignored.append(rec.get("path", ""))
        elif t == "collect_error":
            collect_errors.append(rec)
        elif t == "crash":
            crash = rec.get("msg", "")
        elif t == "integrity":
            patched += [(name, plan.display(rec.get("where", ""))) for name in rec.get("changed", [])]
        elif t == "final":
            final_at = i
            stopped = _STOPPED.get(rec.get("exitstatus"))
    if run.forged:
        ev.append(checks.ForgedRecords.found(
            f"{len(run.forged)} line(s) on the result channel failed authentication", evidence="\n".join(run.forged[:5])))
    for name, where in patched:
        ev.append(checks.HarnessPatched.found(f"{name} was replaced by code under test (still replaced after {where})"))
    if late:
        ev.append(checks.ForgedRecords.found(f"{late} record(s) arrived after the end-of-run record"))

    # Planted tests: any that passed convicts the run; any whose result vanished from a run that
    # finished was suppressed (honest runs report every one of them).
    # Each id's planted kind and each test's status, worked out once (a suite can have 100,000).
    kinds = {t: plan.injected_kind(t) for t in dict.fromkeys(collected + deselected + list(phases))}
    statuses: dict[str, tuple[str, str]] = {}
    copies = Counter(collected)  # a plugin (pytest-flakefinder) may collect a test several times

    def status_of(tid: str) -> tuple[str, str]:
        got = statuses.get(tid)
        if got is None:
            several = len(attempts.get(tid, ())) > 1 or copies[tid] > 1
            got = statuses[tid] = (several and _runs_status(attempts.get(tid, []), max(copies[tid], 1))
                                   or _status(phases.get(tid, [])))
        return got

    planted = {function_id(t).rsplit("::", 1)[-1] for t, k in kinds.items() if k}
    ran = {t.split("::", 1)[0] for t in phases if not kinds[t]}
    if final_at is not None:
        gone = sorted(n for n, (_, _, path) in plan.injected.items() if n not in planted and path in ran)
        if gone:
            ev.append(checks.ForgedRecords.found(f"{len(gone)} planted test(s) have no result although the run finished"))
    real_ids: list[str] = []
    convicted: dict[tuple[str, str, str], int] = defaultdict(int)  # (kind, path, original) -> copies that passed
    injected: list[tuple[str, tuple[str, str, str]]] = []
    for tid in dict.fromkeys(collected + list(phases)):
        kind = kinds[tid]
        if kind is None:
            real_ids.append(tid)
        elif status_of(tid)[0] == "passed":
            injected.append((tid, kind))
    passed_functions = {function_id(t) for t in real_ids if status_of(t)[0] == "passed"}
    for tid, kind in injected:
        # A canary proves manipulation only next to its passing original: f(x) cannot equal both
        # the expected value and a different one. A wrong answer that happens to be the canary's
        # value fails the original, and is a plain failure.
        original = function_id(tid).rsplit("::", 1)[0] + "::" + plan.names.get(kind[1], kind[1])
        if kind[0] == CANARY and original not in passed_functions:
            continue
        convicted[(kind[0], tid.split("::", 1)[0], plan.display(tid.rsplit("::", 1)[0]) + "::" + kind[1])] += 1
    for (kind, path, copied), n in sorted(convicted.items()):
        rule = checks.CanaryPassed if kind == CANARY else checks.SentinelHeld
        what = "canary" if kind == CANARY else "sentinel"
        ev.append(rule.found(f"{n} {what} cop{'ies' if n > 1 else 'y'} of {copied} passed (the expected value was "
                             f"{'replaced by a wrong one' if kind == CANARY else 'a fresh object()'})", path=path))

    for tid in dict.fromkeys(deselected):
        if kinds[tid] is None and tid not in phases:
            v.tests.append(TestRow(plan.display(tid), "deselected-by-config", _suite(tid), "deselected by the base configuration"))
    seen_functions = {function_id(t) for t in real_ids + deselected}

    def left_out(path: str) -> bool:
        return any(i not in (".", "") and (path == i or path.startswith(i.rstrip("/") + "/")) for i in ignored)

    for tid in real_ids:
        status, detail = status_of(tid)
        if status == "missing" and tid not in phases:
            detail = "collected but no result recorded"
        row = TestRow(plan.display(tid), status, _suite(tid), detail)
        v.tests.append(row)
        if status == "duplicated":
            ev.append(checks.DuplicateResults.found(f"{row.id}: {detail}", path=tid.split("::", 1)[0]))
        elif status in ("skipped", "xfailed"):
            ev.append(checks.RuntimeSkip.found(f"{row.id} was {status} at run time: {detail}", path=tid.split("::", 1)[0]))
    flaky = [plan.display(t) for t in real_ids if status_of(t)[0] == "passed"
             and len({run for run, _ in attempts.get(t, ())}) < len(attempts.get(t, ()))]
    if flaky:
        v.notes.append(f"{len(flaky)} test(s) passed only when rerun after failing (a rerun plugin, as the suite "
                       f"asks): {', '.join(flaky[:5])}{' ...' if len(flaky) > 5 else ''}")
    errors_by_path = {e["id"].split("::", 1)[0]: e.get("msg", "") for e in collect_errors}
    missing = []
    for fid in sorted(plan.expected):
        path, *rest = fid.split("::")
        disguised = "::".join([path, *rest[:-1], plan.names.get(rest[-1], rest[-1])])
        if disguised not in seen_functions and not left_out(path):
            detail = errors_by_path.get(path, "")
            detail = f"collection error: {detail.strip().splitlines()[-1] if detail.strip() else ''}" if path in errors_by_path else "never collected"
            v.tests.append(TestRow(fid, "missing", _suite(fid), detail))
            missing.append(fid)
    for e in collect_errors:
        if not any(t.id.startswith(e["id"]) for t in v.tests):
            v.tests.append(TestRow(e["id"], "error", _suite(e["id"]), e.get("msg", "").strip()[-300:]))
    if missing:
        ev.append(checks.MissingResults.found(
            f"{len(missing)} expected test(s) produced no result", evidence="\n".join(missing[:20])))

    if final_at is None and not run.timed_out and not run.flooded:
        why = f"the child exited with status {run.returncode}" + (f" after: {crash}" if crash else "")
        ev.append(checks.NoFinalRecord.found(f"the run ended before its end-of-run record; {why}", evidence=run.output[-2000:]))

    if run.timed_out:
        msg = f"the suite did not finish within {run.wall:.0f}s (wall-time limit); the process group was killed"
        ev.append(checks.RunError.found(msg))
        v.message = msg
    elif run.flooded:
        msg = "the suite flooded its output or result channel past the limit; the process group was killed"
        ev.append(checks.RunError.found(msg))
        v.message = msg
    elif stopped:
        # pytest itself gave up (the trusted config or command line is unusable, or pytest crashed):
        # the tests cannot have decided anything, and its own message says why.
        v.message = f"pytest stopped with {stopped}: {_pytest_error(run.output)}"
        ev.append(checks.RunError.found(v.message, evidence=run.output[-2000:]))
    elif not v.tests:
        v.message = "no tests were found to run"
        ev.append(checks.RunError.found(v.message))
    if run.leftovers:
        v.notes.append("processes were still running in the test's process group after it ended; they were killed")

    tamper = {checks.CanaryPassed.id, checks.SentinelHeld.id, checks.ForgedRecords.id, checks.HarnessPatched.id}
    not_passed = [t for t in v.tests if t.status not in ("passed", *BY_MARKER)]
    if any(f.rule_id in tamper for f in ev):
        v.status, v.decided_by = TAMPERED, BY_INTEGRITY
        v.reasons += [f"{f.name}: {f.message}" for f in ev if f.rule_id in tamper]
    elif v.message:
        v.status, v.decided_by = ERROR, BY_ERROR
        v.reasons.append(v.message)
    elif final_at is None or not_passed or not v.count()[1]:
        v.status = FAIL
    if collect_errors:
        e = collect_errors[0]
        msg = (e.get("msg", "").strip().splitlines() or [""])[-1][:200]
        v.reasons.append(f"{len(collect_errors)} collection error(s), first in {plan.display(e['id'])}: {msg}")
    if not_passed:
        passed, total = v.count()
        v.reasons.append(f"{total - passed} of {total} test(s) did not pass")
    if v.tests and not v.count()[1] and not v.message:
        v.reasons.append("no test counted: every test was skipped or deselected by the suite's own markers")
    if final_at is None and not v.message:
        v.reasons.append("the run ended before its end-of-run record")
    v.tests.sort(key=lambda t: (t.suite != "visible", t.id))
    return v


_STOPPED = {3: "an internal error", 4: "a usage error"}  # pytest.ExitCode.INTERNAL_ERROR, USAGE_ERROR


def _pytest_error(output: str) -> str:
    """pytest's own one-line account of why it stopped."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    said = [ln for ln in lines if ln.startswith(("ERROR:", "INTERNALERROR>", "E "))]
    return (said or lines or ["no message"])[-1][:300]


def account_scan(v: Verdict, scan: list[Finding] | None, fail_on: Severity) -> None:
    """A run that passed still fails when the static scan of the same change found gaming at or
    above `fail_on` (special-cased inputs, oracle reads ...): tests cannot see those."""
    serious = [f for f in scan or () if f.severity >= fail_on]
    if not serious:
        return
    shown = ", ".join(f"{f.rule_id} {f.name} ({f.path}:{f.line})" for f in serious[:5])
    more = f" and {len(serious) - 5} more" if len(serious) > 5 else ""
    v.reasons.append(f"static scan: {len(serious)} finding(s) at or above {fail_on.value}: {shown}{more}")
    if v.status == PASS:
        v.status, v.decided_by = FAIL, BY_SCAN


def _suite(tid: str) -> str:
    return "holdout" if tid.startswith(HOLDOUT_DIR + "/") else "visible"


def holdout_gap(v: Verdict, threshold: float = 0.25) -> Finding | None:
    vp, vn = v.count("visible")
    hp, hn = v.count("holdout")
    if not vn or not hn:
        return None
    gap = vp / vn - hp / hn
    msg = f"visible tests: {vp}/{vn} passed ({vp / vn:.0%}); held-out: {hp}/{hn} ({hp / hn:.0%})"
    v.notes.append(msg)
    return checks.HoldoutGap.found(msg + f"; gap {gap:.0%}") if gap >= threshold else None
