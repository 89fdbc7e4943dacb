"""Test cases as literals, normalized so a solution's constants can be matched against them.

A test says `assert f(8, 4) == 44` or `solution('5\\n5 5 2 5 2\\n') == '4'`; a solution that games
it says `if (n, k) == (8, 4): return 44` or `if a == [5, 5, 2, 5, 2]: print(4)`. Both sides are
reduced to whitespace-separated token text ("8 4", "5 5 2 5 2", "4"), so str-vs-int, list-vs-line
and tuple-vs-arguments differences do not hide a match. `specificity` says how much a match means:
`0`, `1`, `""` and `True` are in every program; `[3, 4, -1, 1]` or "abcdefg" are not.
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from specgap.analysis.context import Context, context

if TYPE_CHECKING:
    from specgap.model import SourceFile

NO = object()  # "not a literal"
_MAX_ITEMS = 4096  # bigger container literals are data tables, not test cases worth matching


def value(node: ast.AST | None, memo: dict[int, object] | None = None) -> object:
    """The Python value of a literal expression (constants, +-numbers, tuples/lists/sets), else NO.
    `memo` keeps the containers' values by node id, for a caller that asks for nested ones too."""
    t = type(node)  # exact types: test files hold hundreds of thousands of literals
    if t is ast.Constant:
        return node.value  # type: ignore[union-attr]
    if t is ast.Tuple or t is ast.List or t is ast.Set:
        if memo is not None and (known := memo.get(id(node), memo)) is not memo:
            return known
        found = _container_value(node, memo)  # type: ignore[arg-type]
        if memo is not None:
            memo[id(node)] = found
        return found
    if t is ast.UnaryOp and isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(node.operand, ast.Constant):  # type: ignore[union-attr]
        v = node.operand.value  # type: ignore[union-attr]
        if isinstance(v, (int, float, complex)) and not isinstance(v, bool):
            return -v if isinstance(node.op, ast.USub) else v  # type: ignore[union-attr]
        return NO
    return NO


def _container_value(node: ast.Tuple | ast.List | ast.Set, memo: dict[int, object] | None) -> object:
    if len(node.elts) > _MAX_ITEMS:
        return NO
    out = []
    constant = ast.Constant
    for e in node.elts:
        v = e.value if type(e) is constant else value(e, memo)  # type: ignore[attr-defined]
        if v is NO:
            return NO
        out.append(v)
    return tuple(out)


def _scalar_text(v: object) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, bytes):
        v = v.decode("latin-1")
    if isinstance(v, str):
        return " ".join(v.split())
    return repr(v)


def tokens(v: object) -> list[str]:
    """Whitespace tokens of a value: nested sequences are flattened."""
    if isinstance(v, tuple):
        out: list[str] = []
        for e in v:
            out.extend(tokens(e))
        return out
    t = _scalar_text(v)
    return t.split(" ") if t else []


def text(v: object) -> str:
    """The normalized text of a value (`(8, 4)` -> "8 4", `'5\\n5 5 2\\n'` -> "5 5 5 2"): its
    tokens joined by one space."""
    t = type(v)  # the common cases first, each exactly what joining `tokens(v)` gives
    if t is str:
        return " ".join(v.split())  # type: ignore[attr-defined]
    if t is int:
        return repr(v)
    if t is tuple:
        return " ".join([x for x in map(text, v) if x])  # type: ignore[call-overload]
    return " ".join(tokens(v))


def _int_spec(n: int) -> int:
    n = abs(n)
    return 0 if n <= 2 else 1 if n <= 20 else 2


def specificity(v: object) -> int:
    """0 (in every program) .. 3 (only in this test case)."""
    if v is None or isinstance(v, bool):
        return 0
    if isinstance(v, int):
        return _int_spec(v)
    if isinstance(v, float):
        return _int_spec(int(v)) if v.is_integer() else 2
    if isinstance(v, (str, bytes)):
        s = _scalar_text(v)
        if not s:
            return 0
        if " " in s:
            return 3
        try:
            return specificity(int(s))
        except ValueError:
            pass
        # one or two characters are flags and codes ("A", "<", "rb"); words ("wrap", "grid-wrap",
        # "UTF-8") are the keys of keyword and mode tables in ordinary code; anything else is data
        return 0 if len(s) <= 2 else 1 if len(s) == 3 or is_word(s) else 2
    if isinstance(v, tuple):
        specs = [specificity(e) for e in v]
        # several values together are specific, unless all are as common as 0, 1 and ""
        total = sum(specs) + (1 if len(v) > 1 and any(specs) else 0)
        return min(total, 3)
    return 1


_WORD = re.compile(r"[A-Za-z_][\w.\-]*")


def is_word(v: object) -> bool:
    """A word-like string: the keys of dispatch, keyword and mode tables, not of test cases."""
    return isinstance(v, str) and _WORD.fullmatch(v.strip()) is not None


def arg_key(values: Iterable[object]) -> tuple[str, ...]:
    """Order-free key of an argument list: `f(8, 4)` and `k == 4 and n == 8` meet here."""
    return tuple(sorted(text(v) for v in values))


_SHINGLE = 3


def _shingles(toks: list[str]) -> Iterator[tuple[str, ...]]:
    for i in range(len(toks) - _SHINGLE + 1):
        yield tuple(toks[i : i + _SHINGLE])


@dataclass
class TestCases:
    """What the tests feed in and expect, indexed for constant-time lookups.

    `values`: normalized text of every literal in the tests and of each line of multi-line strings.
    `shingles`: 3-token windows of long literals, so a list in the solution matches one line or a
    run of lines inside a test's stdin blob. `cases`: argument key -> expected texts, from
    `f(args) == expected`, `assertEqual(f(args), expected)` and rows (parametrize, a prompt's
    `examples = [(input, output)]`). `expected`: every expected text (and its lines);
    `calls`: function name -> the expected texts of calls to it.
    """

    __test__ = False  # not a pytest class, despite the name

    values: set[str] = field(default_factory=set)
    shingles: set[tuple[str, ...]] = field(default_factory=set)
    cases: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    expected: set[str] = field(default_factory=set)
    calls: dict[str, set[str]] = field(default_factory=dict)
    _seen: set[tuple[type, object]] = field(default_factory=set, repr=False, compare=False)  # constants indexed

    def __bool__(self) -> bool:
        return bool(self.values)

    # -- building -----------------------------------------------------------------------

    def add_tree(self, tree: ast.Module, lines: Callable[[int], bool] | None = None, values: bool = True) -> None:
        """Index a test file, or only the nodes that start on the `lines` it selects. Without
        `values`, only the cases (`cases`, `expected`, `calls`) are indexed: most of the cost is
        in the literals' texts and shingles, which a caller that only looks up cases never reads."""
        ctx = context(tree)
        seen = self._seen
        for node in ctx.of(ast.Constant) if values else ():
            if lines is not None and not lines(node.lineno):
                continue
            v = node.value  # type: ignore[attr-defined]
            # tests repeat their constants (13 in 14 of pandas'), and adding one again adds nothing
            if type(v) is not tuple:
                key = (type(v), v)
                if key in seen:
                    continue
                seen.add(key)
            self._add_literal(v)
        memo: dict[int, object] = {}  # a nested literal is indexed itself and inside its parent
        for node in ctx.of(ast.Tuple, ast.List, ast.Set):
            if lines is None or lines(node.lineno):
                v = value(node, memo)
                if v is not NO:
                    self._add_literal(v, values)
        for node in ctx.of(ast.Compare):
            if (len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.Is))  # type: ignore[attr-defined]
                    and (lines is None or lines(node.lineno))):
                self._add_compare(node.left, node.comparators[0])  # type: ignore[attr-defined]
        for node in ctx.calls_named(_ASSERT_EQUAL):
            if len(node.args) >= 2 and (lines is None or lines(node.lineno)):
                self._add_compare(node.args[0], node.args[1])  # type: ignore[attr-defined]

    def merge(self, other: TestCases) -> None:
        """Add what `other` indexed (every part of the index is a union)."""
        self.values |= other.values
        self.shingles |= other.shingles
        self.expected |= other.expected
        self._seen |= other._seen
        for mine, theirs in ((self.cases, other.cases), (self.calls, other.calls)):
            for k, v in theirs.items():
                mine.setdefault(k, set()).update(v)  # type: ignore[attr-defined]

    def _add_literal(self, v: object, values: bool = True) -> None:
        if values:
            self._add_value(v)
        if isinstance(v, tuple) and 2 <= len(v) <= 8:
            # a parametrize row / table of cases: (*args, expected)
            self._add_case(v[:-1], v[-1], None)

    def _add_value(self, v: object) -> None:
        toks = tokens(v)
        self.values.add(" ".join(toks))
        if isinstance(v, (str, bytes)):
            s = v.decode("latin-1") if isinstance(v, bytes) else v
            if "\n" in s.strip():
                for line in s.splitlines():
                    self.values.add(" ".join(line.split()))
        if len(toks) >= _SHINGLE:
            self.shingles.update(_shingles(toks))

    def _add_compare(self, left: ast.AST, right: ast.AST) -> None:
        # `f(args) == expected`, in either order
        for call, exp in ((left, right), (right, left)):
            if isinstance(call, ast.Call):
                ev = value(exp)
                if ev is NO:
                    continue
                args = [value(a) for a in call.args] + [value(k.value) for k in call.keywords]
                if NO not in args:
                    self._add_case(args, ev, _name(call.func))
                return

    def _add_case(self, args: Iterable[object], expected: object, fn: str | None) -> None:
        exp = text(expected)
        args = list(args)
        self.cases.setdefault(arg_key(args), set()).add(exp)
        if len(args) == 1 and isinstance(args[0], tuple):
            # one sequence argument: its elements are the values a solution unpacks and compares
            self.cases.setdefault(arg_key(args[0]), set()).add(exp)
        self.expected.add(exp)
        if isinstance(expected, str) and "\n" in expected.strip():
            for line in expected.splitlines():
                self.expected.add(" ".join(line.split()))
        if fn is not None:
            self.calls.setdefault(fn, set()).add(exp)

    # -- querying -----------------------------------------------------------------------

    def has_value(self, v: object) -> bool:
        """Whether `v` is a literal of the tests, a line of one, or a run of tokens inside one."""
        toks = tokens(v)
        if " ".join(toks) in self.values:
            return True
        return len(toks) >= _SHINGLE and all(s in self.shingles for s in _shingles(toks))

    def expected_for(self, args: Iterable[object]) -> set[str]:
        return self.cases.get(arg_key(args), set())


_ASSERT_EQUAL = frozenset({"assertEqual", "assertEquals", "assert_equal", "assertListEqual", "assertTupleEqual"})


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


class LazyCases:
    """The test cases of many files, each file indexed only when a query could find something in it.

    Everything `TestCases.add_tree` takes from a file (values, shingles, cases, expected and call
    texts) is made of the tokens of its literals, so a file whose literals lack a query's tokens
    (`literal_tokens`) cannot answer that query: it is left unindexed until one that it could
    answer comes. The answers are those of indexing every file at once. A scan of a large tree asks
    a few dozen questions of thousands of test files, and most cannot answer any of them.
    """

    __test__ = False

    def __init__(self, files: Iterable[tuple[SourceFile, Callable[[int], bool] | None]], values: bool = True) -> None:
        """`files`: each file's source (read for its tree only while the file is not indexed: a
        tree the scan lets go is not held here) and which of its lines count (None: all)."""
        self._index = TestCases()
        self._values = values
        self._pending = list(files)

    def _load(self, could_answer: Callable[[frozenset[str]], bool],
              also: Callable[[ast.Module], bool] | None = None) -> TestCases:
        """The index, with every file indexed that `could_answer` from its literals' tokens (and
        that passes `also`, a further necessary condition)."""
        if self._pending:
            left = []
            for source, lines in self._pending:
                noted = source.notes.get(NOTE) if lines is None and not self._values else None
                if noted is not None:  # the file's cases, indexed while its tree was at hand
                    if could_answer(noted[0]):
                        self._index.merge(noted[1])
                    else:
                        left.append((source, lines))
                    continue
                tree = source.tree
                if tree is None:
                    continue
                if could_answer(literal_tokens(tree)) and (also is None or also(tree)):
                    self._index.add_tree(tree, lines, self._values)
                else:
                    left.append((source, lines))
            self._pending = left
        return self._index

    def has_args(self, args: Iterable[object]) -> bool:
        """Whether some test case is called with `args` (in any order)."""
        args = list(args)
        need = set(tokens(tuple(args)))
        return bool(self._load(need.issubset).expected_for(args))

    def expects(self, args: Iterable[object], texts: set[str]) -> bool:
        """Whether a test case called with `args` expects one of `texts` (normalized texts)."""
        args = list(args)
        need, outs = set(tokens(tuple(args))), _token_sets(texts)
        idx = self._load(lambda have: need <= have and any(o <= have for o in outs))
        return not idx.expected_for(args).isdisjoint(texts)

    def is_expected(self, texts: set[str]) -> bool:
        """Whether one of `texts` is what some test expects."""
        outs = _token_sets(texts)
        return not self._load(lambda have: any(o <= have for o in outs)).expected.isdisjoint(texts)

    def call_expects(self, fn: str, texts: set[str]) -> bool:
        """Whether a test expects one of `texts` from a call to a function named `fn`."""
        outs, name = _token_sets(texts), frozenset({fn})
        idx = self._load(lambda have: any(o <= have for o in outs), lambda tree: bool(context(tree).calls_named(name)))
        return not idx.calls.get(fn, set()).isdisjoint(texts)

    def has_value(self, v: object) -> bool:
        """`TestCases.has_value`."""
        toks = tokens(v)
        if len(toks) < _SHINGLE:
            need = set(toks)
            return self._load(need.issubset).has_value(v)
        windows = [set(w) for w in _shingles(toks)]  # a match is the whole value, or each of its windows
        return self._load(lambda have: any(w <= have for w in windows)).has_value(v)


# A tree scan lets each test file's tree go after its rules: what a `LazyCases` of cases only
# (`values=False`) needs of a whole file is noted first (`SourceFile.notes[NOTE]`), so the index
# never parses the file again. (Indexing a file that cannot answer adds nothing to an answer.)
NOTE = "test-cases"


def noted(tree: ast.Module) -> tuple[frozenset[str], TestCases]:
    """A whole test file's literal tokens and its cases (`TestCases.add_tree(values=False)`)."""
    part = TestCases()
    part.add_tree(tree, None, values=False)
    return literal_tokens(tree), part


def _token_sets(texts: Iterable[str]) -> list[set[str]]:
    return [set(t.split()) for t in texts]


_VALUE = operator.attrgetter("value")


def literal_tokens(tree: ast.Module) -> frozenset[str]:
    """Every token of a file's literals (its constants, and its signed numbers as `-5`)."""
    return context(tree).derived(_literal_tokens)


def _literal_tokens(ctx: Context) -> frozenset[str]:
    # tests repeat their constants (13 in 14 of pandas'): each distinct one once, found in bulk
    values = list(map(_VALUE, ctx.of(ast.Constant)))
    out: set[str] = set()
    words: list[str] = []
    for t, v in set(zip(map(type, values), values)):
        if t is str:
            words.append(v)  # a string's tokens are its words
        elif t is int:
            out.add(repr(v))
        else:
            out.update(tokens(v))
    out.update(" ".join(words).split())
    for node in ctx.of(ast.UnaryOp):
        v = value(node)
        if v is not NO:
            out.update(tokens(v))
    return frozenset(out)
