"""Assertion shapes and the edits that make them contradict themselves."""

from __future__ import annotations

import ast
import textwrap

import pytest

from specgap.impossible import mutate


def _sites(src: str) -> tuple[str, list[mutate.Site]]:
    text = textwrap.dedent(src)
    fn = next(n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef))
    return text, mutate.sites(text, fn)


@pytest.mark.parametrize("before, after", [
    ("assert f(2) == 5", "assert f(2) == 6"),
    ("assert 5 == f(2)", "assert 6 == f(2)"),
    ("assert f() == -1", "assert f() == 0"),
    ("assert f() == 0.5", "assert f() == 1.5"),
    ("assert f() == 'abc'", "assert f() == 'abd'"),
    ("assert f() == 'a!'", "assert f() == 'a!x'"),
    ("assert f() == b'z9'", "assert f() == b'z0'"),
    ("assert f() == [1, 2, 3]", "assert f() == [1, 2, 4]"),
    ("assert f() == {'a': 1, 'b': 'x'}", "assert f() == {'a': 1, 'b': 'y'}"),
    ("assert f() == pytest.approx(0.3)", "assert f() == pytest.approx(1.3)"),
    ("assert f() is True", "assert f() is False"),
    ("assert f() is None", "assert f() is not None"),
    ("assert 'x' in f()", "assert 'x' not in f()"),
    ("assert f() != 3", "assert f() == 3"),
    ("assert f()", "assert not (f())"),
    ("assert not f()", "assert f()"),
    ("self.assertEqual(f(), 2)", "self.assertEqual(f(), 3)"),
    ("self.assertAlmostEqual(f(), 2.0, places=3)", "self.assertAlmostEqual(f(), 4.0, places=3)"),
    ("self.assertTrue(f())", "self.assertFalse(f())"),
    ("self.assertIsNone(f())", "self.assertIsNotNone(f())"),
    ("self.assertIn(1, f())", "self.assertNotIn(1, f())"),
    ("np.testing.assert_array_equal(f(), [1, 2])", "np.testing.assert_array_equal(f(), [1, 3])"),
    ("assert list(f('ABCDE')) == list('BCDE')", "assert list(f('ABCDE')) == list('BCDF')"),
    ("assert f() == set([1, 2])", "assert f() == set([1, 3])"),
    ("self.assertEqual(list(f()), [])", "self.assertEqual(list(f()), [0])"),
    ("assert f() == ()", "assert f() == (0,)"),
    ("assert f() == {}", "assert f() == {0: 0}"),
])
def test_each_shape_is_contradicted(before, after):
    text, sites = _sites(f"def test_x(self):\n    {before}  # why\n")
    assert len(sites) == 1
    new = mutate.one_off(text, sites[0])
    assert new == f"def test_x(self):\n    {after}  # why\n"
    ast.parse(new)


@pytest.mark.parametrize("line", [
    "assert f() == g()",             # no literal: which side is expected is unknown
    "assert 1 == 1",                 # both literal: not a check of the code
    "assert False",
    "assert f() < 3",
    "x = 1; assert f() == 1",        # shares its line: a copy could not go below it
    "self.assertEqual(f(), g(2))",
])
def test_unsupported_or_unsafe_shapes_are_left_alone(line):
    assert _sites(f"def test_x(self):\n    {line}\n")[1] == []


def test_a_name_bound_once_to_a_literal_is_replaced_by_the_changed_literal():
    text, sites = _sites("""\
        def test_x(self):
            expected = {"a": [1, 2]}
            result = f()
            assert result == expected
            self.assertEqual(expected, result)
        """)
    assert [s.line for s in sites] == [4, 5]
    assert sites[0].mutated_statement(text) == "assert result == {\"a\": [1, 3]}"
    assert sites[1].mutated_statement(text) == "self.assertEqual({\"a\": [1, 3]}, result)"
    assert "expected = {\"a\": [1, 2]}" in mutate.conflicting(text, sites[0])


@pytest.mark.parametrize("binding", [
    "expected = [1]\n    expected.append(2)",       # changed after binding
    "expected = [1]\n    expected = [1, 2]",        # bound twice
    "expected = g()",                                # not a literal
    "for expected in ([1],):\n        pass",        # a loop variable
])
def test_names_that_are_not_constant_literals_are_left_alone(binding):
    assert _sites(f"def test_x():\n    {binding}\n    assert f() == expected\n")[1] == []


def test_conflicting_copy_goes_below_with_the_same_indentation():
    text, sites = _sites("""\
        def test_x():
            for i in range(3):
                assert f(
                    i,
                ) == 4
            done()
        """)
    new = mutate.conflicting(text, sites[0])
    assert new.count("== 4") == 1 and new.count("== 5") == 1
    tree = ast.parse(new)
    loop = tree.body[0].body[0]
    assert [type(s).__name__ for s in loop.body] == ["Assert", "Assert"]
    assert sites[0].statement(text).startswith("assert f(") and "== 5" in sites[0].mutated_statement(text)


def test_nested_functions_are_not_the_tests_assertions():
    _, sites = _sites("""\
        def test_x():
            def helper():
                assert g() == 1
            assert f() == 2
        """)
    assert [s.line for s in sites] == [4]


def test_positions_are_characters_not_bytes():
    text, sites = _sites("def test_x():\n    assert f('héllo') == 'wörld'\n")
    assert mutate.one_off(text, sites[0]) == "def test_x():\n    assert f('héllo') == 'wörle'\n"


@pytest.mark.parametrize("value", [0, -3, 2.5, -0.0, 1e300, "", "Z", "q", b"", True, False, 3j, [], (), {}])
def test_changed_values_keep_the_type_and_differ(value):
    new = mutate.changed_value(value)
    assert type(new) is type(value) and new != value


def test_values_without_a_sensible_change():
    assert mutate.changed_value(float("nan")) is None
    assert mutate.changed_value(None) is None
