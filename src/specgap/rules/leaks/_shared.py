"""What the leaks family's rules share."""

from __future__ import annotations

import ast
import re
import shlex
from typing import Iterator

from specgap.analysis.context import Context, subtree
from specgap.analysis.folding import const_str
from specgap.analysis.names import Names
from specgap.model import FileRole

_NON_TEST = (FileRole.PRODUCT, FileRole.HARNESS, FileRole.PROTECTED)
_PROBES = frozenset({"startswith", "endswith", "get", "find", "index", "match", "search", "fullmatch", "__contains__"})


def _scope(node: ast.AST, ix: Context) -> ast.AST:
    """The innermost function (or the module) a node belongs to."""
    for p in ix.ancestors(node):
        if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.Module)):
            return p
    return ix.tree


def _probes(scope: ast.AST, ix: Context) -> Iterator[str]:
    """String constants a function compares or looks up with (not its docstrings or messages)."""
    for n in subtree(scope):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            p = ix.parent.get(n)
            if isinstance(p, (ast.List, ast.Tuple, ast.Set)):
                p = ix.parent.get(p)
            if isinstance(p, (ast.Compare, ast.Subscript)) or (
                    isinstance(p, ast.Call) and isinstance(p.func, ast.Attribute) and p.func.attr in _PROBES):
                yield n.value


_FILE_CALLS = frozenset({"builtins.open", "io.open", "codecs.open", "os.open", "os.listdir", "os.scandir", "os.walk",
                         "glob.glob", "glob.iglob", "shutil.copy", "shutil.copyfile", "shutil.copy2", "shutil.copytree",
                         "numpy.load", "numpy.loadtxt", "numpy.genfromtxt", "pandas.read_csv", "pandas.read_json",
                         "linecache.getline", "linecache.getlines", "fileinput.input", "tokenize.open",
                         "runpy.run_path", "importlib.util.spec_from_file_location", "pathlib.Path.read_text"})
_PATH_METHODS = frozenset({"read_text", "read_bytes", "open", "glob", "rglob", "iterdir"})
_SHELL_CALLS = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
                          "subprocess.Popen", "subprocess.getoutput", "subprocess.getstatusoutput", "os.system",
                          "os.popen", "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell"})


def _assigned_value(name: ast.Name, ix: Context) -> ast.expr | None:
    """The value last assigned to `name` before it is used, in the same function."""
    scope = _scope(name, ix)
    best = None
    for a in ix.of(ast.Assign):
        if (a.lineno < name.lineno and any(isinstance(t, ast.Name) and t.id == name.id for t in a.targets)
                and _scope(a, ix) is scope and (best is None or a.lineno > best.lineno)):
            best = a
    return best.value if best is not None else None


def _path_text(expr: ast.AST, names: Names, ix: Context, depth: int = 0) -> str:
    """The literal parts of a path expression joined with '/': `join(dirname(__file__), '..', 'tests')`
    gives `../tests`. Names are followed to their assignment in the same function."""
    folded = const_str(expr, names)
    if isinstance(folded, str):
        return folded.replace("\\", "/")
    if isinstance(expr, ast.Name) and depth < 3:
        value = _assigned_value(expr, ix)
        return _path_text(value, names, ix, depth + 1) if value is not None else ""
    parts: list[tuple[int, int, str]] = []  # in source order: `base / '..' / 'tests'` nests the other way
    stack = [expr]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            parts.append((n.lineno, n.col_offset, n.value))
        elif isinstance(n, ast.JoinedStr):  # its pieces carry no positions of their own: keep them together
            text = "".join(v.value if isinstance(v, ast.Constant) else "*" for v in n.values)
            parts.append((n.lineno, n.col_offset, text))
        elif isinstance(n, ast.Name) and depth < 3 and n is not expr:
            value = _assigned_value(n, ix)
            if value is not None:
                parts.append((n.lineno, n.col_offset, _path_text(value, names, ix, depth + 1)))
        else:
            stack.extend(ast.iter_child_nodes(n))
    return "/".join(p.strip("/") for _, _, p in sorted(parts) if p.strip("/")).replace("\\", "/")


def _read_targets(call: ast.Call, names: Names) -> ast.expr | None:
    """The path argument of a call that reads or lists files, if it is one."""
    q = names.qualname(call.func)
    if q in _FILE_CALLS:
        return call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("file", "path", "pathname", "top")), None)
    if isinstance(call.func, ast.Attribute) and call.func.attr in _PATH_METHODS:
        recv = call.func.value
        if call.func.attr in ("glob", "rglob") and call.args:
            return ast.BinOp(recv, ast.Div(), call.args[0])  # base / pattern
        if isinstance(recv, (ast.Call, ast.BinOp, ast.Name)):
            return recv
    return None


def _file_and_shell_calls(ix: Context) -> list[ast.Call]:
    """The calls `_read_targets` or `_command` could answer for, in the order of `ix.of(ast.Call)`:
    those that could be one of `_FILE_CALLS` or `_SHELL_CALLS` (only these are resolved: see
    `Context.calls_to`), `x.read_text(...)` and the like, and GitPython's `repo.git.log(...)`.
    For any other call both answer None, so resolving it is wasted."""
    could = {id(c) for c in ix.calls_to(_FILE_CALLS | _SHELL_CALLS)}
    attribute = ast.Attribute
    return [c for c in ix.of(ast.Call) if id(c) in could or type(f := c.func) is attribute and (  # type: ignore[attr-defined]
        f.attr in _PATH_METHODS or type(f.value) is attribute and f.value.attr == "git")]


def _command(call: ast.Call, names: Names) -> list[list[str]] | None:
    """Shell commands a call runs, as token lists (one per `&&`/`;`/`|` segment)."""
    q = names.qualname(call.func)
    if q not in _SHELL_CALLS or not call.args:
        # GitPython: repo.git.log("-S", "x")
        f = call.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Attribute) and f.value.attr == "git":
            toks = [const_str(a, names) for a in call.args]
            return [["git", f.attr.replace("_", "-"), *[t if isinstance(t, str) else "?" for t in toks]]]
        return None
    arg = call.args[0]
    if q == "asyncio.create_subprocess_exec":
        elts = call.args
    elif isinstance(arg, (ast.List, ast.Tuple)):
        elts = arg.elts
    else:
        text = const_str(arg, names)
        if not isinstance(text, str):
            return None
        segs = re.split(r"&&|\|\||;|\|", text)
        out = []
        for seg in segs:
            try:
                out.append(shlex.split(seg))
            except ValueError:
                out.append(seg.split())
        return out
    toks = []
    for e in elts:
        t = const_str(e, names)
        toks.append(t if isinstance(t, str) else "?")
    return [toks]


def _basename(token: str) -> str:
    return token.rsplit("/", 1)[-1]
