"""Units of verify that need no child process: record authentication, canary planning, accounting."""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import random
import re
import textwrap
from pathlib import Path

import pytest

from specgap.verify import pycache
from specgap.verify.canaries import CANARY, SENTINEL, function_id, plan_and_rewrite
from specgap.verify.runner import RunResult, authenticate
from specgap.verify.verdict import FAIL, PASS, TAMPERED, decide


def signed(key: bytes, records: list[dict]) -> bytes:
    out, prev = [], b""
    for i, rec in enumerate(records):
        body = json.dumps({**rec, "seq": i}, sort_keys=True)
        mac = hmac.new(key, prev + body.encode(), hashlib.sha256).hexdigest()
        prev = mac.encode()
        out.append(json.dumps({"r": body, "m": mac}))
    return ("\n".join(out) + "\n").encode()


def test_authentic_chain_is_accepted_and_anything_else_is_not():
    key = b"k" * 32
    raw = signed(key, [{"t": "collected", "ids": ["a"]}, {"t": "final"}])
    records, forged = authenticate(key, raw)
    assert [r["t"] for r in records] == ["collected", "final"] and forged == []
    # the same records under another key, a replayed line, and garbage are all rejected
    _, forged = authenticate(b"x" * 32, raw)
    assert len(forged) == 2
    first = raw.split(b"\n")[0]
    records, forged = authenticate(key, raw + first + b"\nnot json\n")
    assert len(records) == 2 and len(forged) == 2


def rewrite(src: str, seed: int = 0):
    return plan_and_rewrite({"tests/test_m.py": textwrap.dedent(src)}, random.Random(seed), per_module=10)


def test_every_test_is_disguised_and_canaries_fail_for_honest_code():
    plan, out = rewrite("""
        def test_a():
            assert 1 + 1 == 2

        def test_b():
            x = [1]
            assert x == [1]
        """)
    text = out["tests/test_m.py"]
    assert "def test_a(" not in text and "def test_b(" not in text
    assert {k for k, _, _ in plan.injected.values()} == {CANARY, SENTINEL}
    namespace: dict = {}
    exec(compile(text, "test_m.py", "exec"), namespace)
    for name, (kind, original, _) in plan.injected.items():
        try:
            namespace[name]()
        except AssertionError:
            continue
        raise AssertionError(f"{kind} copy of {original} passed for honest code")
    for real in plan.names.values():
        namespace[real]()  # the disguised originals still pass


def test_checks_that_may_not_run_get_no_canary():
    plan, _ = rewrite("""
        import pytest
        from hypothesis import given

        def test_branch(flag=False):
            if flag:
                assert 1 == 1

        def test_early_return():
            if True:
                return
            assert 1 == 2

        @given(1)
        def test_property(x):
            assert x == x
        """)
    assert plan.injected == {}
    assert len(plan.expected) == 3


def test_cleanup_after_the_check_still_runs_in_a_canary():
    plan, out = rewrite("""
        STATE = []

        def hold():
            STATE.append(1)

        def release():
            STATE.clear()

        def test_toggle():
            hold()
            assert len(STATE) == 1
            release()
        """)
    namespace: dict = {}
    exec(compile(out["tests/test_m.py"], "test_m.py", "exec"), namespace)
    for name in plan.injected:
        try:
            namespace[name]()
        except AssertionError:
            pass
        assert namespace["STATE"] == []
    tree = ast.parse(out["tests/test_m.py"])
    assert any(isinstance(n, ast.Try) and n.finalbody for n in ast.walk(tree))


def test_a_test_that_changes_module_state_gets_no_canary():
    # dateutil's import-star test pops what it checks out of a module-level dict: a copy run
    # before it would pop first, and the honest original would fail.
    plan, out = rewrite("""
        FOUND = {"easter": 1, "tz": 2}
        CACHE = {}
        COUNT = 0

        def test_pops():
            assert FOUND.pop("easter") == 1

        def test_stores():
            CACHE["k"] = 1
            assert CACHE["k"] == 1

        def test_counts():
            global COUNT
            COUNT += 1
            assert COUNT == 1

        def test_reads():
            assert FOUND["tz"] == 2
        """)
    copied = {original for _, original, _ in plan.injected.values()}
    assert copied == {"test_reads"}
    namespace: dict = {}
    exec(compile(out["tests/test_m.py"], "test_m.py", "exec"), namespace)
    for name in plan.names.values():
        namespace[name]()  # every original still passes, once


def phase(tid, when, outcome="passed", **kw):
    return {"t": "phase", "id": tid, "when": when, "outcome": outcome, **kw}


def run_of(records) -> RunResult:
    return RunResult(records=records)


def test_accounting():
    plan, _ = rewrite("def test_a():\n    pass\n\ndef test_b():\n    pass\n")
    a, b = (f"tests/test_m.py::{plan.names[n]}" for n in ("test_a", "test_b"))
    ok = [phase(a, w) for w in ("setup", "call", "teardown")]
    full = [{"t": "collected", "ids": [a, b]}, *ok, *[phase(b, w) for w in ("setup", "call", "teardown")], {"t": "final"}]
    assert decide(plan, run_of(full)).status == PASS
    # missing test, duplicated call, runtime skip, no final record: all fail
    assert decide(plan, run_of([{"t": "collected", "ids": [a]}, *ok, {"t": "final"}])).status == FAIL
    dup = full[:-1] + [phase(b, "call"), {"t": "final"}]
    assert decide(plan, run_of(dup)).status == FAIL
    skip = [*full[:4], phase(b, "setup"), phase(b, "call", "skipped", by_marker=False), phase(b, "teardown"), {"t": "final"}]
    v = decide(plan, run_of(skip))
    assert v.status == FAIL and any(f.name == "runtime-skip" for f in v.evidence)
    assert decide(plan, run_of(full[:-1])).status == FAIL
    # a marker skip decided by the trusted file is not counted
    marker = [*full[:4], phase(b, "setup", "skipped", by_marker=True), phase(b, "teardown"), {"t": "final"}]
    assert decide(plan, run_of(marker)).status == PASS
    # a record of integrity loss, or unauthenticated lines, convict the run
    assert decide(plan, run_of([*full[:-1], {"t": "integrity", "changed": ["time.time"]}, {"t": "final"}])).status == TAMPERED
    forged = RunResult(records=full, forged=["{}"])
    assert decide(plan, forged).status == TAMPERED


def test_a_tests_phases_in_one_record_are_accounted_like_separate_ones():
    plan, _ = rewrite("def test_a():\n    pass\n\ndef test_b():\n    pass\n")
    a, b = (f"tests/test_m.py::{plan.names[n]}" for n in ("test_a", "test_b"))

    def test(tid, *phases):
        return {"t": "test", "id": tid, "phases": [{"when": w, "outcome": o} for w, o in phases]}

    ok = [("setup", "passed"), ("call", "passed"), ("teardown", "passed")]
    head = [{"t": "collected", "ids": [a, b]}, test(a, *ok)]
    assert decide(plan, run_of([*head, test(b, *ok), {"t": "final"}])).status == PASS
    v = decide(plan, run_of([*head, test(b, *ok, ("call", "passed")), {"t": "final"}]))
    assert v.status == FAIL and any(f.name == "duplicate-results" for f in v.evidence)
    # a call phase in a record of its own beside the test's record is still a second call
    assert decide(plan, run_of([*head, test(b, *ok), phase(b, "call"), {"t": "final"}])).status == FAIL
    subtests = test(b, ("setup", "passed"), ("call", "passed"), ("subtest", "failed"), ("teardown", "passed"))
    assert decide(plan, run_of([*head, subtests, {"t": "final"}])).status == FAIL


def test_reruns_inside_one_run_protocol_are_attempts_and_the_last_decides():
    plan, _ = rewrite("def test_a():\n    pass\n")
    a = f"tests/test_m.py::{plan.names['test_a']}"

    def attempt(call, run=1, **extra):
        return {"t": "test", "id": a, "run": run,
                "phases": [{"when": "setup", "outcome": "passed"}, {"when": "call", "outcome": call, "msg": call, **extra},
                           {"when": "teardown", "outcome": "passed"}]}

    def verdict_of(*attempts):
        return decide(plan, run_of([{"t": "collected", "ids": [a]}, *attempts, {"t": "final"}]))

    flaky = verdict_of(attempt("failed"), attempt("failed"), attempt("passed"))
    assert flaky.status == PASS and not flaky.evidence
    assert flaky.tests[0].detail.startswith("passed on attempt 3 of 3") and "passed only when rerun" in flaky.notes[0]
    broken = verdict_of(attempt("failed"), attempt("failed"))
    assert broken.status == FAIL and broken.tests[0].status == "failed" and "failed all 2 attempts" in broken.tests[0].detail
    # Not reruns, so results reported twice: after a pass, from another run protocol or none, or
    # from inside another test.
    for twice in [(attempt("passed"), attempt("passed")), (attempt("failed"), attempt("passed", run=2)),
                  (attempt("failed", run=None), attempt("passed", run=None)),
                  (attempt("failed"), attempt("passed", nested=True))]:
        v = verdict_of(*twice)
        assert v.status == FAIL and v.tests[0].status == "duplicated" and any(f.name == "duplicate-results" for f in v.evidence)


def test_a_test_collected_several_times_runs_once_per_copy_and_every_copy_must_pass():
    # pytest-flakefinder collects a test it cannot parametrize (a unittest.TestCase's) N times.
    plan, _ = rewrite("def test_a():\n    pass\n")
    a = f"tests/test_m.py::{plan.names['test_a']}"

    def attempt(call, run, **extra):
        return {"t": "test", "id": a, "run": run,
                "phases": [{"when": "setup", "outcome": "passed"}, {"when": "call", "outcome": call, "msg": call, **extra},
                           {"when": "teardown", "outcome": "passed"}]}

    def verdict_of(copies, *attempts):
        return decide(plan, run_of([{"t": "collected", "ids": [a] * copies}, *attempts, {"t": "final"}]))

    each = verdict_of(3, *(attempt("passed", run) for run in (1, 2, 3)))
    assert each.status == PASS and not each.evidence and not each.notes
    assert each.tests[0].detail == "each of its 3 copies in the collection passed"
    # Repetition cannot outvote a failure, whichever copy it falls in.
    for bad in (1, 2, 3):
        v = verdict_of(3, *(attempt("failed" if run == bad else "passed", run) for run in (1, 2, 3)))
        assert v.status == FAIL and v.tests[0].status == "failed" and f"copy {bad} of 3" in v.tests[0].detail
        assert not any(f.name == "duplicate-results" for f in v.evidence)
    # A rerun plugin's attempts inside one copy: the copy's last attempt decides.
    rerun = verdict_of(2, attempt("failed", 1), attempt("passed", 1), attempt("passed", 2))
    assert rerun.status == PASS and "passed only when rerun" in rerun.notes[0]
    assert verdict_of(2, attempt("passed", 1), attempt("failed", 2), attempt("failed", 2)).status == FAIL
    # A copy that never ran leaves the test missing.
    short = verdict_of(3, attempt("passed", 1), attempt("passed", 2))
    assert short.status == FAIL and short.tests[0].status == "missing" and "2 of its 3 copies" in short.tests[0].detail
    # More runs than copies, a run from inside another test: results reported twice.
    for twice in [(attempt("passed", 1), attempt("passed", 2), attempt("passed", 3)),
                  (attempt("passed", 1), attempt("passed", 2, nested=True))]:
        v = verdict_of(2, *twice)
        assert v.status == FAIL and v.tests[0].status == "duplicated" and any(f.name == "duplicate-results" for f in v.evidence)


@pytest.mark.parametrize("nodeid", ["t.py::test_f", "t.py::test_f[1-2]", "t.py::C::test_f[a[b]-c]", "t.py::test_f[x]y",
                                    "t.py::test_f[\n]", "t[1].py::test_f", "t[1].py::test_f[2]"])
def test_function_id_strips_parameters_as_the_pattern_does(nodeid):
    assert function_id(nodeid) == re.sub(r"\[.*\]$", "", nodeid, flags=re.S)


def test_a_passing_canary_convicts_only_next_to_its_passing_original():
    plan, _ = rewrite("from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n")
    real = f"tests/test_m.py::{plan.names['test_add']}"
    planted = {f"tests/test_m.py::{n}": kind for n, (kind, _, _) in plan.injected.items()}
    assert CANARY in planted.values()

    def run(real_outcome: str, canary_outcome: str) -> RunResult:
        """The real test's call ends `real_outcome`, every canary's `canary_outcome`; sentinels fail."""
        recs = [{"t": "collected", "ids": [real, *planted]}]
        for tid, outcome in [(real, real_outcome),
                             *((t, canary_outcome if k == CANARY else "failed") for t, k in planted.items())]:
            recs += [phase(tid, w, outcome if w == "call" else "passed") for w in ("setup", "call", "teardown")]
        return run_of(recs + [{"t": "final"}])

    # f(x) equal to both the expected value and a wrong one: only a manipulated comparison does that
    v = decide(plan, run("passed", "passed"))
    assert v.status == TAMPERED and any(f.name == "canary-passed" for f in v.evidence)
    # a wrong answer that happens to be a canary's value is a failure, not an accusation of tampering
    v = decide(plan, run("failed", "passed"))
    assert v.status == FAIL and not any(f.name == "canary-passed" for f in v.evidence)


def test_the_childs_channel_batches_phase_records_and_sends_the_rest_at_once(monkeypatch):
    import os

    from specgap.verify import child

    key = b"k" * 32
    r, w = os.pipe()
    writes = []
    real = os.write
    monkeypatch.setattr(child.os, "write", lambda fd, data: writes.append(len(data)) or real(fd, data))
    ch = child.Channel(key, w)
    ch.send({"t": "collected", "ids": ["t.py::a", "t.py::b"]})
    assert len(writes) == 1  # what the parent expects goes out before any test runs
    for tid in ("t.py::a", "t.py::b"):
        for when in ("setup", "call", "teardown"):
            ch.send({"t": "phase", "id": tid, "when": when, "outcome": "passed"})
    assert len(writes) == 1  # six phase records, still in the batch
    ch.send({"t": "final", "exitstatus": 0})
    assert len(writes) == 2  # the final record takes the batch with it, in order
    os.close(w)
    raw = b""
    while chunk := os.read(r, 1 << 16):
        raw += chunk
    os.close(r)
    records, forged = authenticate(key, raw)
    assert not forged and [x["t"] for x in records] == ["collected", *["phase"] * 6, "final"]


def test_the_childs_channel_writes_a_batch_once_it_is_old_or_large(monkeypatch):
    import os

    from specgap.verify import child

    r, w = os.pipe()
    now = [0.0]
    monkeypatch.setattr(child, "_clock", lambda: now[0])
    ch = child.Channel(b"k" * 32, w)
    ch.send({"t": "phase", "id": "t.py::a", "when": "setup", "outcome": "passed"})
    assert ch._lines  # batched
    now[0] += child.Channel.LAG * 2
    ch.send({"t": "phase", "id": "t.py::a", "when": "call", "outcome": "passed"})
    assert ch._lines == []  # the stale batch went out
    ch.send({"t": "phase", "id": "t.py::big", "when": "call", "outcome": "failed", "msg": "x" * child.Channel.BATCH})
    assert ch._lines == []
    os.close(w)
    os.close(r)


def test_the_childs_stdout_writes_through_only_now_and_then(monkeypatch):
    # pytest's terminal reporter flushes after every test; each flush used to wake the parent.
    import os

    from specgap.verify import child

    r, w = os.pipe()
    os.set_blocking(r, False)
    now = [0.0]
    monkeypatch.setattr(child, "_clock", lambda: now[0])
    out = child.LazyStdout(w)

    def read() -> bytes:
        try:
            return os.read(r, 1 << 16)
        except BlockingIOError:
            return b""

    for _ in range(100):
        out.write(".")
        out.flush()
    assert read() == b""
    now[0] += child.Channel.LAG * 2
    out.write("!")
    out.flush()
    assert read() == b"." * 100 + b"!"
    out.write("end")
    out.drain()
    assert read() == b"end"
    os.close(w)
    os.close(r)


def test_a_runs_bytecode_cache_starts_from_its_own_interpreters_entries_only(tmp_path):
    # One cache per base interpreter holds the packages of every virtualenv made from it.
    tmp = tmp_path.resolve()
    cache, prefix = tmp / "cache", tmp / "prefix"
    stdlib, venv_site, other_site = tmp / "py/lib", tmp / "py/lib/site-packages", tmp / "other/lib/site-packages"
    for d in (stdlib, venv_site, other_site):
        entry = cache / str(d).strip("/") / "__pycache__" / "m.cpython-311.pyc"
        entry.parent.mkdir(parents=True)
        entry.write_bytes(str(d).encode())
    pycache.seed(cache, prefix, [str(venv_site), str(stdlib)])
    linked = sorted(p.relative_to(prefix) for p in prefix.rglob("*.pyc"))
    assert linked == sorted(Path(str(d).strip("/")) / "__pycache__" / "m.cpython-311.pyc" for d in (stdlib, venv_site))
    assert all((prefix / p).samefile(cache / p) for p in linked)  # links, not copies
    pycache.seed(tmp / "no-cache-yet", tmp / "prefix2", [str(stdlib)])
    assert not (tmp / "prefix2").exists()
