"""SG301's exits and SG303's skips resolve only the raises that could be one: held equal to
resolving every raise."""

from __future__ import annotations

import ast
import inspect
import subprocess
import textwrap
import unittest.case

import pytest

from specgap.analysis.context import context
from specgap.rules.escapes._shared import _SYSTEMEXIT, exit_of
from specgap.rules.escapes.sg303_skip_from_product import _SKIP_EXC, _skip_of

_SHADOWED = textwrap.dedent('''
    def g(SystemExit):
        raise SystemExit(0)   # a parameter: here and anywhere in the module, not the builtin
    raise SystemExit
''')

_SPELLINGS = textwrap.dedent('''
    import builtins, sys, unittest, pytest
    from builtins import SystemExit as Bye
    from unittest import SkipTest as Skip
    import unittest.case as uc
    SE = SystemExit
    KI = KeyboardInterrupt
    Later = unittest.SkipTest
    def f(e, x):
        raise SystemExit(0)
        raise SystemExit
        raise KeyboardInterrupt
        raise Bye(0)
        raise SE
        raise KI()
        raise builtins.SystemExit(1)
        raise getattr(builtins, "SystemExit")(0)
        raise Skip("x")
        raise Later
        raise uc.SkipTest("y")
        raise unittest.SkipTest
        raise pytest.skip.Exception("z")
        raise ValueError(x)
        raise e
        raise x.SystemExit
        raise
''')


def _sources() -> list[tuple[str, str]]:
    return [("spellings", _SPELLINGS), ("shadowed", _SHADOWED)] + [(m.__name__, inspect.getsource(m)) for m in (subprocess, unittest.case)]


@pytest.mark.parametrize(("name", "src"), _sources(), ids=[n for n, _ in _sources()])
def test_the_raises_found_are_those_whose_qualname_is_an_exit_or_a_skip(name: str, src: str) -> None:
    ctx = context(ast.parse(src))
    names = ctx.names
    raised = [(r, r.exc.func if isinstance(r.exc, ast.Call) else r.exc) for r in ctx.of(ast.Raise) if r.exc is not None]  # type: ignore[attr-defined]
    exits = {id(r) for r, exc in raised if names.qualname(exc) in _SYSTEMEXIT}
    skips = {id(r) for r, exc in raised if names.qualname(exc) in _SKIP_EXC}
    assert {id(r) for r in ctx.of(ast.Raise) if exit_of(r, names) is not None} == exits
    assert {id(r) for r in ctx.of(ast.Raise) if _skip_of(r, names) is not None} == skips
    others = sorted(ast.unparse(exc) for r, exc in raised if id(r) not in exits | skips)
    if name == "spellings":  # every spelling above is one or the other, but these three
        assert others == ["ValueError", "e", "x.SystemExit"]
    if name == "shadowed":
        assert others == ["SystemExit", "SystemExit"]
