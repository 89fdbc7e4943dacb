"""The test-case index: the cases-only index holds the same cases as the full one."""

from __future__ import annotations

import ast
import textwrap

from specgap.analysis import cases
from specgap.model import SourceFile


def _full(trees: list[ast.Module], values: bool = True) -> cases.TestCases:
    """Every file indexed at once (what `LazyCases` answers as)."""
    out = cases.TestCases()
    for tree in trees:
        out.add_tree(tree, None, values)
    return out

_TESTS = textwrap.dedent('''
    import pytest

    @pytest.mark.parametrize("a, b, want", [(8, 4, 44), ((1, 2), 3, "x y"), ([5, 5, 2], 0, "4\\n5")])
    def test_f(a, b, want):
        assert f(a, b) == want
        assert 12 == g(3, k=4)
        self.assertEqual(h("abc def"), [1, 2, 3])
        assert "long literal value" in out
''')


def test_cases_only_index_has_every_case_and_no_values() -> None:
    tree = ast.parse(_TESTS)
    full = _full([tree])
    only = _full([tree], values=False)
    assert only.cases == full.cases and only.expected == full.expected and only.calls == full.calls
    assert full.cases and full.calls["g"] == {"12"} and full.values and full.shingles
    assert not only.values and not only.shingles
    assert only.expected_for([8, 4]) == {"44"} and only.expected_for(["abc def"]) == {"1 2 3"}


def test_nested_literals_are_indexed_alone_and_inside_their_parent() -> None:
    tree = ast.parse("rows = [((1, 2), 3), ((4, 5), 6)]\n")
    idx = _full([tree])
    assert idx.has_value((1, 2)) and idx.has_value(((1, 2), 3)) and idx.has_value(3)
    assert idx.expected_for([(1, 2)]) == {"3"} and idx.expected_for([1, 2]) == {"3"}


def test_text_is_the_tokens_joined_for_every_kind_of_value() -> None:
    import random

    rng = random.Random(7)
    scalars = [0, 1, -5, 10**20, True, False, None, 2.0, -2.5, 1e16, float("nan"), 3j, "", "  ", "a b",
               " x\n y\t", "5\n5 5 2\n", "ü ß", b"", b"a  b", b"\xff\n1", ...]

    def make(depth: int) -> object:
        if depth and rng.random() < 0.4:
            return tuple(make(depth - 1) for _ in range(rng.randrange(0, 4)))
        return rng.choice(scalars)

    for _ in range(3000):
        v = make(3)
        assert cases.text(v) == " ".join(cases.tokens(v)), v


def test_value_of_signed_numbers_and_non_literals() -> None:
    expr = lambda s: ast.parse(s, mode="eval").body  # noqa: E731
    assert cases.value(expr("-3")) == -3 and cases.value(expr("+2.5")) == 2.5
    assert cases.value(expr("-True")) is cases.NO and cases.value(expr("-'a'")) is cases.NO
    assert cases.value(expr("[1, (2, -3), {4}]")) == (1, (2, -3), (4,))
    assert cases.value(expr("[1, x]")) is cases.NO and cases.value(expr("f(1)")) is cases.NO and cases.value(None) is cases.NO


_MORE_TESTS = [
    textwrap.dedent('''
        def test_g():
            assert g(-5, "a  b") == (1, 2.0)
            assert g(0x10) == "x\\ty"
            assert k("p q r") == 1
            rows = [("5\\n5 5 2\\n", "4"), (b"k", None), ((3, -1j), True), ([1, 2, 3, 4, 5], "long text here")]
    '''),
    textwrap.dedent('''
        import unittest
        class T(unittest.TestCase):
            def test_h(self):
                self.assertEqual(h(1e3, "q"), 7)
                self.assertEqual(h(8, 4), -44)
                self.assertEqual(k("q r s"), 2)
                data = """first line 1 2 3
                second line 4 5 6"""
    '''),
    _TESTS,
]


def test_lazy_index_answers_as_the_full_index_does() -> None:
    """Each query of the lazy index, asked of a fresh one, gets the full index's answer: a file is
    left out only when it cannot hold the answer. Queries are made of the files' own literals (so
    most have answers), mixed across files and with values no file has."""
    import random

    trees = [ast.parse(src) for src in _MORE_TESTS]
    values = sorted({repr(v) for t in trees for n in ast.walk(t)
                     if (v := cases.value(n)) is not cases.NO}) + ["'zzz'", "999", "'line 4 5'", "'5 5 2'",
                                                                       "'p q r s'"]  # a run across two files
    pool = [eval(v) for v in values]  # noqa: S307 - reprs of literals made just above
    texts = sorted({cases.text(v) for v in pool})
    rng = random.Random(3)
    # (noted: each file's cases were noted while its tree was at hand, and the tree let go since)
    noted = [SourceFile("", None, notes={cases.NOTE: cases.noted(t)}) for t in trees]
    for flag, notes in ((True, False), (False, False), (False, True)):
        full = _full(trees, values=flag)
        fresh = lambda: cases.LazyCases(  # noqa: E731
            [(n, None) for n in noted] if notes else [(SourceFile("", t), None) for t in trees], values=flag)
        for _ in range(400):
            args = [rng.choice(pool) for _ in range(rng.randrange(1, 3))]
            want = set(rng.sample(texts, rng.randrange(1, 3)))
            v = rng.choice(pool)
            fn = rng.choice(["f", "g", "h", "nope"])
            assert fresh().has_args(args) == bool(full.expected_for(args)), args
            assert fresh().expects(args, want) == bool(full.expected_for(args) & want), (args, want)
            assert fresh().is_expected(want) == bool(full.expected & want), want
            assert fresh().call_expects(fn, want) == bool(full.calls.get(fn, set()) & want), (fn, want)
            assert fresh().has_value(v) == full.has_value(v), v
        # and one lazy index asked everything in turn agrees too (files load as queries need them)
        one = fresh()
        for v in pool:
            assert one.has_value(v) == full.has_value(v) and one.has_args([v]) == bool(full.expected_for([v]))
