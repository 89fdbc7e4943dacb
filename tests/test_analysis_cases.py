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
