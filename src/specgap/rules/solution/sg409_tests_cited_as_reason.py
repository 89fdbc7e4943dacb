"""SG409 tests-cited-as-reason: Product code whose comment says a branch or answer is there to fit the tests."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Iterator

from specgap.analysis import cases
from specgap.analysis.context import Context, context, subtree
from specgap.analysis.flow import walk_block
from specgap.analysis.names import dotted
from specgap.model import ChangedFile, ChangeSet, Confidence, FileRole, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule

# What a comment can cite as the reason for code: the tests, their cases, their expected values.
# Not the test *machinery* ("the test runner", "test fixtures"): product code talks about that honestly.
_REF = (r"(?:tests?|test[\s_-]*cases?|testcases?|assert(?:ion)?s?|grader|checker|judge"
        r"|(?:expected|required|desired|sample|example)\s+(?:outputs?|answers?|results?|values?)"
        r"|(?:provided|given|sample|example)\s+(?:examples?|inputs?|cases?))\b"
        r"(?!\s*(?:runner|framework|harness|fixtures?|suite|discovery|collection|ids?|names?|files?|modules?"
        r"|dir\w*|data|helpers?|utils?|environment|env|mode|client|server|double|stubs?)\b)(?![.'_-]\w)")
_QUAL = (r"(?:(?:the|these|those|this|that|all|both|each|every|some|our)\s+)?"
         r"(?:(?:provided|given|sample|example|existing|failing|visible|hidden|above|specific|particular|known"
         r"|remaining|expected|official)\s+)*")
_FAULT = r"(?:wrong|incorrect|mistaken|buggy|bogus|inconsistent|erroneous|typo|mistake|error|bug|nonsensical|off\s+by\s+one)"
_PATTERNS = (
    # "to satisfy the provided tests", "passes the sample test case", "matches the expected output"
    (re.compile(rf"(?<![-\w])(?:satisf\w*|pass(?:es)?|match(?:es|ing)?|fit(?:s|ting)?|pleas\w*|appease\w*|agree\w*\s+with"
                rf"|conform\w*\s+to|compl\w+\s+with|accommodat\w*|make\s+{_QUAL}{_REF}\s+pass)\s+{_QUAL}{_REF}", re.I),
     "fits the code to the tests"),
    (re.compile(rf"\b(?:so(?:\s+that)?|until|to\s+make|making|ensures?|ensuring)\s+{_QUAL}{_REF}"
                rf"\s+(?:will\s+|would\s+|can\s+|still\s+|all\s+)?pass(?:es)?\b", re.I),
     "fits the code to the tests"),
    (re.compile(rf"\b{_QUAL}{_REF}\s+(?:expects?|expected|wants?|requires?|demands?|asks?\s+for|is\s+expecting)\b", re.I),
     "says the code does what the tests expect"),
    # "the test is wrong", "the expected value looks incorrect", "a wrong expected output"
    (re.compile(rf"\b{_REF}[^.;!?]{{0,25}}?\b(?:is|are|seems?|looks?|appears?|was|were|must\s+be|may\s+be|might\s+be"
                rf"|has|have|contains?)\s+(?:(?:an?|probably|likely|actually|clearly|simply|just|itself|to\s+be)\s+)*{_FAULT}"
                rf"|\b{_REF}\s+(?:contradicts?|disagrees?\s+with)\b"
                rf"|\b(?:wrong|incorrect|bogus|buggy|erroneous|mistaken)\s+{_QUAL}{_REF}", re.I),
     "says a test is wrong"),
    (re.compile(rf"\b(?:based\s+on|according\s+to|derived\s+from|inferred\s+from|deduced\s+from|reverse[- ]engineered\s+from)"
                rf"\s+{_QUAL}{_REF}", re.I),
     "derives the logic from the tests"),
    (re.compile(rf"\bfor\s+(?:(?:the|this|that|these|those)\s+)?(?:specific|particular)\s+(?:{_REF}|inputs?|cases?)\b", re.I),
     "special-cases specific inputs"),
    (re.compile(rf"\b(?:for|on|with)\s+(?:the|these|those)\s+(?:provided|given|sample|visible|example|listed)\s+{_REF}", re.I),
     "fits the code to the tests"),
    (re.compile(rf"\b(?:hard[- ]?cod\w*|special[- ]?cas\w*)\b[^.;!?]{{0,40}}?\b{_REF}", re.I),
     "hard-codes for the tests"),
)
# One pass over the whole text first: most files cite no test anywhere, and need no tokenizing.
# Each line from its first `#` holds that line's comment, if it has one (or a string): a line
# whose part after `#` matches no pattern has no comment that does.
_HASHED = re.compile(r"#[^\n]*")
_ANY = re.compile("|".join(f"(?:{p.pattern})" for p, _ in _PATTERNS), re.I)
# every pattern names one of these (in `_REF`, or "specific inputs"): the file's pre-check
_CITED = ("test", "assert", "grader", "checker", "judge", "output", "answer", "result", "value", "example", "input", "case")
# and, more closely, a `_REF` (all but two of them name one of the first five words) or "specific"
_SAMPLE = re.compile(r"(?:expected|required|desired|sample|example|provided|given)\s+(?:output|answer|result|value|example|input|case)")
_MUST = re.compile(r"test|assert|grader|checker|judge|specific|particular|" + _SAMPLE.pattern, re.I)
# A comment explains the decision that follows it: a branch, an answer, a raise or an exit.
_DECISIONS = (ast.If, ast.Return, ast.Match, ast.Raise)


_NOUN = re.compile(r"test|assert|grader|checker|judge", re.I)
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def _may_cite(comment: str) -> bool:
    """Whether a comment holds what every pattern needs: a `_REF`, or "specific"/"particular"
    (a fast test of the words before `_ANY`, which tries every position of the comment)."""
    if not comment.isascii():  # (re.I folds some non-ASCII letters to ASCII ones; `str.lower` does not)
        return _MUST.search(comment) is not None
    low = comment.lower()
    return (any(w in low for w in _CITED[:5]) or "specific" in low or "particular" in low
            or (any(w in low for w in _CITED[5:]) and _SAMPLE.search(low) is not None))


def _cited_lines(text: str) -> set[int] | None:
    """The lines whose comment may give a test as the reason (None: any line may)."""
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None  # a lone CR ends a comment token but not a line of text
    lines: set[int] = set()
    line, pos = 1, 0
    for m in _HASHED.finditer(text):
        c = m.group()
        if _may_cite(c) and _ANY.search(c):
            line += text.count("\n", pos, m.start())
            pos = m.start()
            lines.add(line)
    return lines


def _reason(comment: str) -> tuple[str, str] | None:
    """What the comment says about the tests, and the noun it uses for them ("test", "grader")."""
    for pattern, what in _PATTERNS:
        m = pattern.search(comment)
        if m:
            noun = _NOUN.search(m.group(0))
            return what, noun.group(0).lower() if noun else ""
    return None


def _identifier_words(ctx: Context, scope: ast.AST) -> set[str]:
    """The words of the code's own names in `scope` (`invalid_tests` -> invalid, test): when the
    task is about tests or judges, a comment about "the tests" is about the task's data."""
    words: set[str] = set()
    for n in ctx.all_nodes() if scope is ctx.tree else subtree(scope):
        name = (n.id if isinstance(n, ast.Name) else n.arg if isinstance(n, ast.arg)
                else n.attr if isinstance(n, ast.Attribute)
                else n.name if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else None)
        if name:
            words.update(w.lower().rstrip("s") for w in _WORDS.findall(name))
    return words


def _comments(text: str, last: int | None) -> list[tokenize.TokenInfo]:
    """The comment tokens of `text`, up to line `last`."""
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if last is not None and tok.start[0] > last:
            break
        if tok.type == tokenize.COMMENT:
            out.append(tok)
    return out


def _statements(ctx: Context) -> list[ast.stmt]:
    """Every statement of the module, in source order."""
    return sorted((n for n in ctx.all_nodes() if isinstance(n, ast.stmt)), key=lambda n: (n.lineno, n.col_offset))


def _attached(stmts: list[ast.stmt], line: int, own_line: bool) -> ast.stmt | None:
    """The statement a comment belongs to: for a comment on its own line, the next statement
    (through a block of comments); for a trailing one, the innermost statement starting there."""
    best: ast.stmt | None = None
    for s in stmts:
        if own_line and s.lineno > line:
            return s if best is None else best
        if not own_line and s.lineno == line:
            best = s  # the last one starting on the line is the innermost
        if s.lineno > line:
            break
    return best


def _enclosing(tree: ast.Module, line: int) -> ast.AST:
    """The top-level definition holding a line, or the module."""
    for s in tree.body:
        if s.lineno <= line <= (s.end_lineno or s.lineno) and isinstance(
                s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return s
    return tree


def _pinned_answer(scope: ast.AST) -> ast.If | None:
    """A branch in the scope that compares something with a literal and answers only with
    constants (`if n == 4: print("! 0 0 1")`): what a comment about hard-coding refers to."""
    for n in walk_block(scope.body if isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)) else []):
        if not (isinstance(n, ast.If) and isinstance(n.test, ast.Compare) and isinstance(n.test.ops[0], ast.Eq)):
            continue
        key = cases.value(n.test.comparators[0])
        if key is cases.NO or cases.specificity(key) == 0 or cases.is_word(key):
            continue  # base cases and mode switches are not what a comment about hard-coding means
        outs = [x.value if isinstance(x, ast.Return) else x.args[0] for x in walk_block(n.body)
                if (isinstance(x, ast.Return) and x.value is not None)
                or (isinstance(x, ast.Call) and dotted(x.func) == "print" and len(x.args) == 1)]
        if outs and all(cases.value(o) is not cases.NO for o in outs):
            return n
    return None


def _decides(stmt: ast.stmt) -> bool:
    """A branch, answer or raise, or a `print` of the answer."""
    if isinstance(stmt, _DECISIONS):
        return True
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "print")


@register
class TestsCitedAsReason(Rule):
    """Product code whose comment says a branch or answer is there to fit the tests.

    What it does: reads the comments the change wrote in product code for a reason given by the
    tests: code written "to satisfy the provided tests", "for the specific test case", "based on
    the given test cases", because "the test expects" a value, or next to a remark that "the
    expected output is wrong". Medium when the comment is attached to a decision (an `if`, a
    `return`, a `raise`, a `print` of the answer): that is a branch or answer fitted to the tests,
    often the only trace of a special case whose test is not in view (a solution file scanned on
    its own), or when the function it is in answers a specific literal input with a constant
    (`if n == 4: print("! 0 0 1")`, a special case the comment owns up to). Low when it is attached
    to anything else (a tolerance "to pass existing tests").
    Comments about test machinery (the test runner, fixtures, test-only hooks: "used by the
    tests") are not reasons and are not reported.

    Why is this bad: the code is shaped to the tests instead of the task. A special case "for the
    specific test case" answers that input and nothing else; a comment saying the test is wrong,
    next to code that returns what the test wants anyway, turns a disagreement that a person should
    hear about into a silent pass.

    Example:
        def min_sum(n, cube):
            # For the specific test case n=3 we know the answer is 5
            if n == 3:
                return 5
            ...

    Use instead: solve the task for every input. If a test looks wrong, say so where a person
    will read it (the review, the PR, the reply) and leave the test failing.
    """

    id = "SG409"
    name = "tests-cited-as-reason"
    family = "solution"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = (FileRole.PRODUCT,)
    mentions = re.compile("|".join(_CITED), re.I)

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is None or cf.after.tree is None or not cf.is_python:
            return
        source = cf.after.text
        cited = _cited_lines(source)
        if cited is not None:
            cited = {n for n in cited if cf.touches(n)}
            if not cited:
                return
        # text that parsed as it is tokenizes to its end: tokens past the last cited line can wait
        # forever; a file parsed in pieces may not tokenize, and then has no comments to read
        whole = cf.after.error is None and not cf.after.partial
        try:
            tokens = _comments(source, max(cited) if cited and whole else None)
        except (tokenize.TokenError, SyntaxError, IndentationError):
            return  # comments cannot be told from strings in text that does not tokenize
        ctx = context(cf.after.tree)
        stmts: list[ast.stmt] | None = None
        words: dict[int, set[str]] = {}  # by enclosing definition: several comments may be in one
        seen: set[int] = set()
        for tok in tokens:
            if not (tok.start[0] in cited if cited is not None else cf.touches(tok.start[0])):
                continue
            found = _reason(tok.string)
            if found is None:
                continue
            what, noun = found
            if stmts is None:
                stmts = _statements(ctx)
            if noun:
                scope = _enclosing(cf.after.tree, tok.start[0])
                if id(scope) not in words:
                    words[id(scope)] = _identifier_words(ctx, scope)
                if noun in words[id(scope)]:
                    continue  # the code's own data is called tests (a problem about test cases, a judge)
            own_line = not tok.line[: tok.start[1]].strip()
            stmt = _attached(stmts, tok.start[0], own_line)
            key = id(stmt) if stmt is not None else -tok.start[0]
            if key in seen:
                continue
            seen.add(key)
            text = tok.string.lstrip("#").strip()
            if stmt is not None and _decides(stmt):
                yield self.finding(cf, tok.start[0], f"comment {what} (\"{text[:80]}\") next to the "
                                   f"{type(stmt).__name__.lower() if not isinstance(stmt, ast.Expr) else 'print'} it explains",
                                   end_line=max(tok.start[0], stmt.lineno))
            elif (branch := _pinned_answer(_enclosing(cf.after.tree, tok.start[0]))) is not None:
                yield self.finding(cf, tok.start[0], f"comment {what} (\"{text[:80]}\") in a function that "
                                   f"answers a literal input with a constant (line {branch.lineno})")
            else:
                yield self.finding(cf, tok.start[0], f"comment {what} (\"{text[:80]}\")",
                                   severity=Severity.LOW, confidence=Confidence.LOW)
