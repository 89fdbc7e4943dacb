"""The base revision's doctests, so that `--doctest-modules` checks the change against them.

With `--doctest-modules` (kept from the base's `addopts`) pytest also runs the examples in the
docstrings of the code under test, and the change can rewrite those. A doctest is a test, and
tests come from the base revision, so the child runs, for each module of the code under test, the
docstrings the base revision's version of that file had (matched by qualified name, `Class.method`),
whatever the changed file's docstrings now say:

- a docstring the change edited or emptied runs as the base wrote it, against the changed code;
- a doctest only the change has is not run (as a test file only the change adds is not);
- a doctest of a plain definition (an undecorated top-level function or class, or a method of one)
  whose object the change removed, renamed or hid behind a wrapper still runs, in its module's
  namespace: it fails if the name it uses no longer works.

Which doctests the base revision really has is a question about its run, not its source: a
decorator may drop a docstring, a condition may leave a definition out, a name bound twice keeps
its last object, a module may fail to import. So when any base docstring has examples, the base
revision's own code is collected once (a census, `--collect-only`), and what it collected is what
the change must keep (`expected`): every doctest of the census runs against the changed code, in
its module's namespace if the change's collection lost it. One whose object the change removed,
whose module the change deleted, or whose module no longer imports fails and says so; nothing the
base ran disappears without a report.
"""

from __future__ import annotations

import ast
import doctest

_PARSER = doctest.DocTestParser()
# Method decorators that keep the function visible to doctest's finder as the base wrote it.
_TRANSPARENT = frozenset({"staticmethod", "classmethod", "property"})


def base_doctests(source: bytes) -> dict:
    """The doctests of one base-revision module, for the child.

    `docs` maps each qualified name (`""` for the module) to its docstring, for docstrings with
    examples; `plain` lists those pytest collects whatever the code does at run time; `loose`
    lists names the file defines more than once with different doctests (which one the run meets
    depends on the run: the run's own is used); `test_dict` says the module's `__test__` is not a
    literal, so its entries are taken as the run finds them.
    """
    out: dict = {"docs": {}, "plain": [], "loose": [], "test_dict": False}
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return out  # the base's file does not parse: it has no doctests to keep
    _doc(out, "", tree, plain=True)
    _body(out, "", tree.body, plain=True)
    return out


def _doc(out: dict, qual: str, node: ast.AST, *, plain: bool) -> None:
    text = ast.get_docstring(node, clean=False)  # type: ignore[arg-type]
    if text and _examples(text):
        if out["docs"].setdefault(qual, text) != text and qual not in out["loose"]:
            out["loose"].append(qual)
        if plain and qual not in out["plain"]:
            out["plain"].append(qual)


def _examples(text: str) -> bool:
    try:
        return bool(_PARSER.get_examples(text))
    except ValueError:  # malformed: pytest fails it at collection, so it is kept to fail the same way
        return True


def _body(out: dict, prefix: str, body: list[ast.stmt], *, plain: bool) -> None:
    bound = _bound_once(body)
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            qual = prefix + node.name
            names = [_name(d) for d in node.decorator_list]
            ok = plain and node.name in bound and all(n in _TRANSPARENT for n in names) and (
                not names or prefix != "")  # a decorated top-level function can lose its docstring
            if any(n is None for n in names):  # `@x.setter`: the property keeps the getter's doc
                continue
            _doc(out, qual, node, plain=ok)
            if isinstance(node, ast.ClassDef):
                _body(out, qual + ".", node.body, plain=ok)
        elif isinstance(node, (ast.If, ast.Try, ast.With)) and not prefix:
            # Conditional definitions: their doctests are kept when the run finds them.
            for block in _blocks(node):
                _body(out, prefix, block, plain=False)
        elif not prefix and _assigns(node, "__test__"):
            _test_dict(out, node)


def _test_dict(out: dict, node: ast.stmt) -> None:
    value = getattr(node, "value", None)
    if isinstance(value, ast.Dict) and all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in value.keys):
        for k, v in zip(value.keys, value.values):
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                if _examples(v.value):
                    out["docs"].setdefault(f"__test__.{k.value}", v.value)
                continue
            out["test_dict"] = True  # a function or class as a value: found at run time
    else:
        out["test_dict"] = True


def _blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    blocks = [getattr(node, "body", []), getattr(node, "orelse", []), getattr(node, "finalbody", [])]
    return blocks + [h.body for h in getattr(node, "handlers", [])]


def _name(dec: ast.expr) -> str | None:
    """A decorator's plain name (`property`), "" for anything else, None for `@x.setter`-style."""
    if isinstance(dec, ast.Name):
        return dec.id
    if isinstance(dec, ast.Attribute) and dec.attr in ("setter", "deleter"):
        return None
    return ""


def _assigns(node: ast.stmt, name: str) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return any(isinstance(t, ast.Name) and t.id == name for t in targets)


def _bound_once(body: list[ast.stmt]) -> set[str]:
    """Names bound exactly once by the statements of `body` (later rebinding replaces the object)."""
    count: dict[str, int] = {}
    for node in body:
        for sub in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else [node]:
            names: list[str] = []
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names = [sub.name]
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                names = [sub.id]
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                names = [(a.asname or a.name).split(".")[0] for a in sub.names]
            for n in names:
                count[n] = count.get(n, 0) + 1
    return {n for n, c in count.items() if c == 1}


def expected(static: dict[str, dict], deleted: dict[str, dict], census: list[dict] | None,
             errors: set[str]) -> tuple[dict[str, dict], dict[str, dict]]:
    """The doctests the changed code must pass: (docmap for the files the change kept, lost).

    `static` and `deleted` are `base_doctests` of the base files the change kept and deleted;
    `census` lists the base run's doctest items of the code under test (`id`, `module`, `name`,
    `text`), None when there was no census; `errors` are files the census could not collect. A
    kept file's entry comes from the census (all its doctests, as the base ran them) unless the
    census failed on it (then its source decides, as above). `lost` maps each deleted file the
    base collected doctests from to its module name and those doctests, by qualified name.
    """
    if census is None:
        return dict(static), {}
    found: dict[str, dict] = {}
    for item in census:
        rel, module, name = item["id"].split("::", 1)[0], item["module"], item["name"]
        qual = "" if name == module else name[len(module) + 1:]
        found.setdefault(rel, {"module": module, "docs": {}})["docs"][qual] = item["text"]
    docmap = {}
    for rel, entry in static.items():
        if rel in errors:
            docmap[rel] = entry
        else:
            docs = found.get(rel, {}).get("docs", {})
            docmap[rel] = {"docs": docs, "plain": list(docs), "loose": [], "test_dict": False,
                           "module": found.get(rel, {}).get("module", "")}
    lost = {rel: found[rel] for rel in deleted if rel in found}
    return docmap, lost
