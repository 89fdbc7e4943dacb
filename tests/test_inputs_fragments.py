"""parse_fragments: what rules can still see in hunks cut out of a file."""

from __future__ import annotations

import ast
import time

from specgap.inputs.fragments import parse_fragments


def frag(first: int, text: str) -> dict[int, str]:
    return {first + i: line for i, line in enumerate(text.split("\n"))}


def found(tree: ast.Module, kind: type) -> list[tuple[int, int, str]]:
    return sorted((n.lineno, n.col_offset, ast.unparse(n)) for n in ast.walk(tree) if isinstance(n, kind))


def test_hunk_starting_and_ending_inside_docstrings() -> None:
    lines = frag(20, '''    What it does: reads the file.

    Returns: the bytes, or None.
    """
    data = path.read_bytes()
    assert data, "empty"


def helper(x):
    """Second docstring that the hunk

    cuts in the middle of''')
    tree, dropped = parse_fragments(lines)
    assert dropped == []
    assert found(tree, ast.Assert) == [(25, 4, "assert data, 'empty'")]
    assert [f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)] == ["helper"]


def test_inside_literals_and_call_arguments() -> None:
    lines = frag(7, '''        "name": cls.name,
        "help": {"text": doc, "markdown": render(cls)},''')
    tree, dropped = parse_fragments(lines)
    assert dropped == []
    assert found(tree, ast.Call) == [(8, lines[8].index("render"), "render(cls)")]
    tree, dropped = parse_fragments(frag(3, '''        timeout=30,
        check=os.environ.get("CHECK") == "1",'''))
    assert dropped == [] and (4, 14, "os.environ.get('CHECK')") in found(tree, ast.Call)


def test_dangling_headers_keep_their_bodies() -> None:
    tree, dropped = parse_fragments(frag(50, '''        elif mode == "fast":
            return compute(x)
        else:
            sys.exit(0)
    except ValueError as exc:
        assert False, exc
    finally:
        cleanup()'''))
    assert dropped == []
    assert (50, 13, "mode == 'fast'") in found(tree, ast.Compare)
    assert [c[2] for c in found(tree, ast.Call)] == ["compute(x)", "sys.exit(0)", "cleanup()"]
    assert found(tree, ast.Assert) == [(55, 8, "assert False, exc")]


def test_try_whose_handlers_lie_beyond_the_hunk() -> None:
    tree, dropped = parse_fragments(frag(10, '''    try:
        result = run()
        assert result == 4'''))
    assert dropped == []
    assert found(tree, ast.Assert) == [(12, 8, "assert result == 4")]


def test_unparseable_lines_are_dropped_and_named() -> None:
    tree, dropped = parse_fragments(frag(1, '''x = 1
def broken(:
y = 2'''))
    assert dropped == [2]
    assert [t.targets[0].id for t in tree.body] == ["x", "y"]


def test_separate_hunks_are_not_joined() -> None:
    tree, dropped = parse_fragments({**frag(1, "def f():"), **frag(40, "    return 1")})
    # the def's body is not in view; the return is not made its body
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    assert found(tree, ast.Return) == [(40, 4, "return 1")]
    assert dropped == [1]


def test_hostile_fragments_are_bounded() -> None:
    lines = {n: ")" * (n % 7) + "(" * (n % 5) + ":" for n in range(1, 3000)}
    start = time.perf_counter()
    tree, dropped = parse_fragments(lines)
    assert time.perf_counter() - start < 10
    assert isinstance(tree, ast.Module) and dropped


def test_hunk_ending_inside_a_call_is_closed() -> None:
    tree, dropped = parse_fragments(frag(176, '''@app.route("/headers")
async def headers() -> Response:
    return await make_response(
        {
            "headers": dict(request.headers),'''))
    assert dropped == []
    (fn,) = [n for n in ast.walk(tree) if isinstance(n, ast.AsyncFunctionDef)]
    assert fn.lineno == 177 and fn.name == "headers"
    assert (180, 23, "dict(request.headers)") in found(tree, ast.Call)
