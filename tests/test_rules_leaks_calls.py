"""The leaks rules look only at the calls that could read a file or run a command: held equal to
asking `_read_targets` and `_command` of every call."""

from __future__ import annotations

import ast
import glob
import inspect
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from specgap.analysis.context import context
from specgap.rules.leaks._shared import _command, _file_and_shell_calls, _read_targets

_FIXTURES = Path(__file__).parent / "fixtures" / "rules"

_SPELLINGS = textwrap.dedent('''
    import io, os, subprocess as sp, numpy as np
    from glob import glob as g
    from pathlib import Path
    run = sp.run
    io_open = io.open
    def f(p, repo, x):
        sp.check_output(["cat", "tests/x.py"]); run("ls tests", shell=True); g("tests/*.py"); os.walk("tests")
        Path("tests").read_text(); (Path(p) / "x").open(); Path(p).rglob("test_*.py"); repo.git.log("-S", "x")
        getattr(sp, "run")(["git", "log"]); vars(os)["system"]("cat answers.txt"); np.load("expected.npy")
        __import__("subprocess").call("cat expected.json"); open("expected.json"); io_open("answers.txt")
        os.popen("git log -p"); x.run(); x.walk(); x.git(); len(p); print(p)
''')


def _sources() -> list[tuple[str, str]]:
    out = [("spellings", _SPELLINGS)]
    out += [(m.__name__, inspect.getsource(m)) for m in (subprocess, shutil, glob)]
    out += [(p.name, p.read_text()) for p in sorted(_FIXTURES.glob("SG50*.py"))]
    return out


@pytest.mark.parametrize(("name", "src"), _sources(), ids=[n for n, _ in _sources()])
def test_the_calls_looked_at_are_every_call_that_reads_or_runs_something(name: str, src: str) -> None:
    ctx = context(ast.parse(src))
    names = ctx.names
    want = {id(c) for c in ctx.of(ast.Call) if _read_targets(c, names) is not None or _command(c, names)}  # type: ignore[arg-type]
    got = _file_and_shell_calls(ctx)
    assert want <= {id(c) for c in got}
    order = [c for c in ctx.of(ast.Call) if c in got]  # in the order the rules looked at them before
    assert [id(c) for c in order] == [id(c) for c in got]
    if name == "spellings":  # every read and command above is found; only these calls are passed over
        passed = {ast.unparse(c.func) for c in ctx.of(ast.Call) if c not in got}  # type: ignore[attr-defined]
        assert passed == {"Path", "__import__", "getattr", "vars", "x.run", "x.walk", "x.git", "len", "print"}
        assert len(got) == len(want)
