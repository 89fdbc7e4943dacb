"""The per-file analysis sees every node of a module exactly as `ast.walk` does, with its parent."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from specgap.analysis.context import context

_SYNTAX = textwrap.dedent('''
    import os.path as p
    from . import x as y
    @dec(1)
    class A(B, metaclass=M):
        """doc"""
        attr: int = 3
        def f(self, a, /, b=2, *c, d, e=5, **g) -> "A":
            global z
            lam = lambda q, r=1: q + r
            return [i for i in range(a) if i % 2] or {k: v for k, v in g.items()}
        async def h(self):
            async with m() as n, o():
                async for t in n:
                    await t
    try:
        pass
    except (ValueError, TypeError) as exc:
        raise RuntimeError("x") from exc
    match command:
        case [1, *rest] | {"k": 2, **others}:
            pass
        case Point(x=0, y=_) as pt if pt:
            pass
        case None:
            pass
    x = f"{a!r:>{width}} {b}" + (not c) - ~d
    assert 1 < 2 <= 3, "m"
    del x[1:2, ::3]
''')


def _sources() -> list[str]:
    return [_SYNTAX, inspect.getsource(ast), inspect.getsource(textwrap), inspect.getsource(inspect)]


@pytest.mark.parametrize("src", _sources(), ids=["syntax", "ast", "textwrap", "inspect"])
def test_every_node_once_with_its_parent(src: str) -> None:
    tree = ast.parse(src)
    ctx = context(tree)
    want = [n for n in ast.walk(tree) if n is not tree and not isinstance(n, ast.expr_context)]
    assert sorted(map(id, ctx.all_nodes())) == sorted(map(id, want))
    singletons = (ast.operator, ast.boolop, ast.cmpop, ast.unaryop, ast.expr_context)
    for node in ast.walk(tree):
        assert node in ctx.by_type[type(node)] or isinstance(node, singletons)
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, singletons):
                assert ctx.parent[child] is node


def test_scopes_own_their_bodies_only() -> None:
    tree = ast.parse("@d\ndef f(a=g()):\n    return h()\n")
    ctx = context(tree)
    fn = tree.body[0]
    own_calls = {n.func.id for n in ctx.own_nodes(fn) if isinstance(n, ast.Call)}
    module_calls = {n.func.id for n in ctx.own_nodes(tree) if isinstance(n, ast.Call)}
    assert own_calls == {"h"} and module_calls == {"g"}
    assert {n.id for n in ctx.own_nodes(tree) if isinstance(n, ast.Name)} == {"d", "g"}


@pytest.mark.parametrize("src", _sources(), ids=["syntax", "ast", "textwrap", "inspect"])
def test_subtree_is_ast_walk_without_contexts_and_operators(src: str) -> None:
    from specgap.analysis.context import subtree

    tree = ast.parse(src)
    for node in [tree, *tree.body]:
        skip = (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop)
        want = [n for n in ast.walk(node) if not isinstance(n, skip)]
        assert sorted(map(id, subtree(node))) == sorted(map(id, want))


def test_conditions_are_the_tests_above_a_node_within_its_function() -> None:
    tree = ast.parse(textwrap.dedent('''
        if outer:
            def hook(item):
                while more:
                    if item.ok:
                        a = 1
                    else:
                        b = 2
                match item.kind:
                    case "x":
                        c = 3
                d = check(item)
    '''))
    ctx = context(tree)
    hook = next(n for n in ctx.of(ast.FunctionDef) if n.name == "hook")
    assigned = {n.targets[0].id: n for n in ctx.of(ast.Assign)}
    text = lambda n: [ast.unparse(c) for c in ctx.conditions(n, hook)]  # noqa: E731
    assert text(assigned["a"]) == ["more", "item.ok"]
    assert text(assigned["b"]) == ["more", "item.ok"]  # the else branch runs under the test too
    assert text(assigned["c"]) == ["item.kind"]
    assert text(assigned["d"]) == []  # `outer` is outside the function
    assert [ast.unparse(c) for c in ctx.conditions(assigned["d"], tree)] == ["outer"]
    inner_if = next(n for n in ctx.of(ast.If) if ast.unparse(n.test) == "item.ok")
    assert text(inner_if.test) == ["more"]  # a test does not run under itself


_BINDINGS = textwrap.dedent('''
    a, (b, *c) = d.e = f[0] = g()
    h += 1
    i: int = 2
    for j, k.l in m: pass
    with n as (o, *p), q: pass
    [r for s in t for u in s]
    (v := 3)
    del w, x.y
''')


@pytest.mark.parametrize("src", _sources() + [_BINDINGS], ids=["syntax", "ast", "textwrap", "inspect", "bindings"])
def test_bound_names_are_the_names_in_store_or_del_context(src: str) -> None:
    from specgap.analysis.names import _store_names

    ctx = context(ast.parse(src))
    assert _store_names(ctx) == {n.id for n in ctx.of(ast.Name) if not isinstance(n.ctx, ast.Load)}


def test_a_qualname_does_not_depend_on_when_it_was_first_asked() -> None:
    # `f = e` comes before `e = sys.exit`: while the module's aliases are being found, `e` in the
    # first line resolves to nothing yet; asked afterwards, it is `sys.exit`
    ctx = context(ast.parse("import sys\nf = e\ne = sys.exit\nf()\n"))
    first_value = ctx.of(ast.Assign)[0].value if ctx.of(ast.Assign)[0].lineno == 2 else ctx.of(ast.Assign)[1].value
    assert ctx.names.qualname(first_value) == "sys.exit"
    assert ctx.names.qualname(first_value) == "sys.exit"  # remembered, the same
    made = ast.Attribute(value=ast.Name(id="sys", ctx=ast.Load()), attr="exit", ctx=ast.Load())
    assert ctx.names.qualname(made) == "sys.exit"
    assert ctx.names.qualname(ast.Name(id="nothing", ctx=ast.Load())) is None  # a new node is not the last one


@pytest.mark.parametrize("src", _sources(), ids=["syntax", "ast", "textwrap", "inspect"])
def test_calls_named_are_the_calls_of_that_name_or_attribute(src: str) -> None:
    tree = ast.parse(src)
    ctx = context(tree)
    for names in (frozenset({"isinstance"}), frozenset({"join", "append", "m"}), frozenset({"nothing"})):
        want = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and (
            isinstance(n.func, ast.Name) and n.func.id in names or isinstance(n.func, ast.Attribute) and n.func.attr in names)]
        got = ctx.calls_named(names)
        assert sorted(map(id, got)) == sorted(map(id, want)) and len(got) == len(want)


_ALIASED = textwrap.dedent('''
    import os, sys as s, importlib
    from os import _exit as bye, path
    from builtins import exec as run
    quit_now = s.exit
    eval = print            # shadows the builtin: not builtins.eval any more
    def f(x):
        bye(1); s.exit(0); quit_now(); exit(); os.path.join(x); path.join(x)
        getattr(os, "_ex" + "it")(2); vars(os)["_exit"](3); __import__("os")._exit(4)
        importlib.import_module("sys").exit(5); run("1"); exec("2"); eval("3"); compile("4", "f", "exec")
        x.exit(); s.modules["os"]._exit(6); len(x); print(x)
''')


@pytest.mark.parametrize("src", [_ALIASED, *_sources()], ids=["aliased", "syntax", "ast", "textwrap", "inspect"])
def test_calls_to_are_the_calls_whose_qualname_is_one_of_them(src: str) -> None:
    tree = ast.parse(src)
    ctx = context(tree)
    for quals in (frozenset({"os._exit", "sys.exit", "builtins.exit"}), frozenset({"builtins.exec", "builtins.eval", "builtins.compile"}),
                  frozenset({"os.path.join", "builtins.len", "builtins.isinstance", "ast.AST"}), frozenset({"nothing.at_all"})):
        want = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and ctx.names.qualname(n.func) in quals]
        got = ctx.calls_to(quals)
        assert sorted(map(id, got)) == sorted(map(id, want)) and len(got) == len(want)
    if src is _ALIASED:  # every spelling of an exit is found, and the shadowed builtin is not an eval
        assert len(ctx.calls_to(frozenset({"os._exit", "sys.exit", "builtins.exit"}))) == 9
        assert {c.func.id for c in ctx.calls_to(frozenset({"builtins.exec", "builtins.eval"}))} == {"run", "exec"}


def test_calls_are_looked_through_by_any_binding_and_builtins_are_shadowed_by_any_binding() -> None:
    # a call is looked through only if it could be `__import__`, `import_module`, `getattr` or
    # `vars`: however it is bound; the module's own bindings of builtins' names are found when
    # first needed, and count wherever they are
    src = textwrap.dedent('''
        import os, importlib
        from importlib import import_module as load
        g = getattr
        im = importlib.import_module
        print(g(os, "_exit"), im("sys").exit, load("os")._exit, __import__("os")._exit, vars(os)["_exit"])
        print(foo(os)._exit, open, len)
        def f(open):
            for len in []:
                pass
    ''')
    ctx = context(ast.parse(src))
    first, second = sorted((c for c in ctx.of(ast.Call) if isinstance(c.func, ast.Name) and c.func.id == "print"),
                           key=lambda c: c.lineno)
    assert [ctx.names.qualname(a) for a in first.args] == ["os._exit", "sys.exit", "os._exit", "os._exit", "os._exit"]
    assert [ctx.names.qualname(a) for a in second.args] == [None, None, None]
    assert ctx.names.qualname(first.func) == "builtins.print"
