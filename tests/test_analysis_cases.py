"""The test-case index: the cases-only index holds the same cases as the full one."""

from __future__ import annotations

import ast
import textwrap

from specgap.analysis import cases

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
    full = cases.index([(tree, None)])
    only = cases.index([(tree, None)], values=False)
    assert only.cases == full.cases and only.expected == full.expected and only.calls == full.calls
    assert full.cases and full.calls["g"] == {"12"} and full.values and full.shingles
    assert not only.values and not only.shingles
    assert only.expected_for([8, 4]) == {"44"} and only.expected_for(["abc def"]) == {"1 2 3"}


def test_nested_literals_are_indexed_alone_and_inside_their_parent() -> None:
    tree = ast.parse("rows = [((1, 2), 3), ((4, 5), 6)]\n")
    idx = cases.index([(tree, None)])
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
