"""The `Rule` base class: identity, defaults, and helpers to build findings."""

from __future__ import annotations

import ast
import functools
import inspect
import operator
import re
import unicodedata

import ahocorasick
from typing import Callable, ClassVar, Iterable, Iterator

from specgap.analysis.context import Context, context
from specgap.model import (
    ChangedFile,
    ChangeSet,
    Confidence,
    FileRole,
    Finding,
    Kind,
    Severity,
)


class Rule:
    """Base of every rule. A subclass's docstring is its documentation page.

    The docstring's first line is the summary; then sections *What it does*, *Why is this bad*,
    *Example* and *Use instead*. Override `check_module` (called with the shared analysis of each
    changed Python file whose role is in `roles` and whose new text parsed), `check_file` (any
    changed file, parsed or not) or, for rules that need the whole change at once, `check`.

    `scope = "added"`: the engine keeps only findings on lines the change wrote, so code that was
    already there before the change is not blamed on it. Rules that compare before and after
    themselves (removed tests, weakened asserts) set `scope = "diff"`.

    `family`: the family package the rule belongs to (`tests`, `solution`, ...). `reads`: what
    the rule takes: `"file"` (the files of a change; what `specgap scan` runs), `"run"` (a verify
    run) or `"metrics"` (monitor logs); the registry selects rules by these, never by module.

    `mentions`: a cheap text pre-check; files whose new text has no match are not looked at (a
    rule about exits needs the word "exit" somewhere, however aliased). Keep it broad: a miss here
    is a missed hack.
    """

    id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    family: ClassVar[str] = ""
    reads: ClassVar[str] = "file"
    kind: ClassVar[Kind] = Kind.GAMING
    severity: ClassVar[Severity] = Severity.MEDIUM
    confidence: ClassVar[Confidence] = Confidence.MEDIUM
    roles: ClassVar[tuple[FileRole, ...]] = tuple(FileRole)
    scope: ClassVar[str] = "added"
    mentions: ClassVar[re.Pattern[str] | None] = None

    def check(self, changeset: ChangeSet) -> Iterable[Finding]:
        for cf in changeset.files:
            if cf.role in self.roles and not cf.binary and self._mentioned(cf):
                yield from self.check_file(cf, changeset)

    def keeps(self, cf: ChangedFile) -> bool:
        """For a rule that overrides `check` (it reads across files): asked of each file of a tree
        scan right after the file's own rules, while its tree is at hand. Note in `cf.after.notes`
        what `check` will need of the file, and say whether `check` will read its tree; a tree no
        rule keeps is let go (it is parsed again if read after all: slower, never wrong)."""
        return False

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        tree = cf.after.tree if cf.after is not None else None
        if tree is not None:
            yield from self.check_module(cf, context(tree), changeset)

    def check_module(self, cf: ChangedFile, ctx: Context, changeset: ChangeSet) -> Iterator[Finding]:
        """The per-file hook most rules override: the file's new text parsed, and its shared analysis."""
        return iter(())

    def _mentioned(self, cf: ChangedFile) -> bool:
        mentions = self.mentions
        if mentions is None:
            return True
        if cf.after is None:
            return False
        # the finder kept per rule class: `_finder`'s cache hashes the pattern's compiled code on
        # every call, and this is asked of every rule for every file of every rollout
        cached = _BY_RULE.get(type(self))
        if cached is None or cached[0] is not mentions:
            cached = _BY_RULE[type(self)] = (mentions, _finder(mentions))
        text, found = cf.after.text, cached[1]
        # the parser reads identifiers as NFKC (`ｅxit` is `exit`): look in the text as it reads it too
        return found(text) or (not text.isascii() and found(_as_parsed(text)))

    # -- helpers -------------------------------------------------------------------------

    def finding(
        self,
        cf: ChangedFile,
        where: ast.AST | int,
        message: str,
        *,
        evidence: str | None = None,
        severity: Severity | None = None,
        confidence: Confidence | None = None,
        before: str | None = None,
        after: str | None = None,
        end_line: int | None = None,
    ) -> Finding:
        """A finding at an AST node (its full line span) or at a line number of `cf.after`."""
        if isinstance(where, int):
            line, end = where, end_line if end_line is not None else where
        else:
            line = getattr(where, "lineno", 1)
            end = end_line if end_line is not None else (getattr(where, "end_lineno", None) or line)
        if evidence is None:
            src = cf.after or cf.before
            evidence = src.segment(line, min(end, line + 9)) if src is not None else ""
        return Finding(
            rule_id=self.id,
            name=self.name,
            kind=self.kind,
            severity=severity or self.severity,
            confidence=confidence or self.confidence,
            path=cf.path,
            line=line,
            end_line=end,
            message=message,
            evidence=evidence,
            before=before,
            after=after,
        )

    @classmethod
    def doc(cls) -> str:
        """The rule's documentation page (its docstring, dedented)."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        return cls.doc().split("\n", 1)[0]


_BY_RULE: dict[type[Rule], tuple[re.Pattern[str], Callable[[str], bool]]] = {}


@functools.lru_cache(maxsize=4)  # every rule asks about the same file in turn
def _as_parsed(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


_ESCAPED = re.compile(r"\\(\W)")  # `\(`: escaped punctuation stands for itself
_META = re.compile(r"[.^$*+?{}\[\]|()\\]")


def _plain(part: str) -> str | None:
    """The text an alternative of a pattern matches, if it is plain text (`vars\\(` -> `vars(`)."""
    if not part or _META.search(_ESCAPED.sub("", part)):
        return None
    return _ESCAPED.sub(r"\1", part)


@functools.lru_cache(maxsize=None)
def _finder(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    """`pattern.search(text) is not None`, faster: the plain words of an alternation are found
    without the regex (which tries every word at every position), the other alternatives (`gc\\b`)
    with a regex of their own. Case-insensitive ones too, on ASCII text, where lowercasing is
    exactly what `re.I` folds."""
    if _NON_ASCII_CLASS.fullmatch(pattern.pattern):
        # a class of non-ASCII characters (invisible ones, say) is in no ASCII text: most files
        return lambda text: not text.isascii() and pattern.search(text) is not None
    words, rest = _alternatives(pattern)
    if words is None:
        return lambda text: pattern.search(text) is not None
    found = _word_finder(pattern, words)
    if rest is None:
        return found
    return lambda text: found(text) or rest.search(text) is not None


def _word_finder(pattern: re.Pattern[str], words: list[str]) -> Callable[[str], bool]:
    """Whether `text` holds one of `words`, the plain alternatives of `pattern` (all of its
    matches on non-ASCII text that ignores case, where `re.I` folds more than lowercasing)."""
    fold = bool(pattern.flags & re.IGNORECASE)
    lows = frozenset(w.lower() for w in words)
    if lows <= _vocabulary():  # a registered rule's: one shared pass over the file
        if fold:
            return lambda text: (not lows.isdisjoint(_present(text)) if _folds_as_lowered(text)
                                 else pattern.search(text) is not None)
        # a word is in the text only if its lowered form is in the lowered text: those found so
        # (few or none) are looked for as written
        pairs = tuple((w, w.lower()) for w in dict.fromkeys(words))

        def found_as_written(text: str) -> bool:
            hits = _present(text)
            if lows.isdisjoint(hits):
                return False
            for w, low in pairs:
                if low in hits and w in text:
                    return True
            return False

        return found_as_written
    if not fold:
        plain = frozenset(words)
        return lambda text: any(w in text for w in plain)
    low = list(dict.fromkeys(w.lower() for w in words))
    if len(low) >= _MANY_WORDS:
        return _first_of(pattern, low)

    def found(text: str) -> bool:
        if not _folds_as_lowered(text):
            return pattern.search(text) is not None
        lowered = _lowered(text)
        for w in low:  # (a loop, not `any(...)`: its generator cost more than the searches)
            if w in lowered:
                return True
        return False

    return found


# A scan with `in` costs about 0.3 ns a character per word, the automaton's one pass about 5 ns a
# character whatever the words: past about 16 words, a text that holds none (most of them, for a
# plan's words in a rollout's answer) is read faster once by the automaton.
_MANY_WORDS = 16


def _first_of(pattern: re.Pattern[str], low: list[str]) -> Callable[[str], bool]:
    """`found` for many case-blind words: one Aho-Corasick pass over the lowered text, stopping at
    the first word it meets."""
    automaton = ahocorasick.Automaton()
    for w in low:
        automaton.add_word(w, w)
    automaton.make_automaton()

    def found(text: str) -> bool:
        if not _folds_as_lowered(text):
            return pattern.search(text) is not None
        for _ in automaton.iter(_lowered(text)):
            return True
        return False

    return found


def _alternatives(pattern: re.Pattern[str]) -> tuple[list[str] | None, re.Pattern[str] | None]:
    """The plain words a pre-check pattern is an alternation of, and a pattern of its other
    alternatives (None if there are none); (None, None) if it is not such an alternation."""
    if pattern.flags & ~(re.UNICODE | re.IGNORECASE):
        return None, None
    parts = pattern.pattern.split("|")
    words = [_plain(part) for part in parts]
    if None not in words:
        return words, None  # type: ignore[return-value]
    if any(c in pattern.pattern for c in "()[]") or "\\|" in pattern.pattern:
        return None, None  # a "|" may be inside a group or a class: not split
    plain = [w for w in words if w is not None]
    if not plain:
        return None, None
    return plain, re.compile("|".join(p for p, w in zip(parts, words) if w is None), pattern.flags)


@functools.lru_cache(maxsize=1)
def _automaton() -> ahocorasick.Automaton:
    """One Aho-Corasick automaton over the words of every registered rule's pre-check, lowered,
    so each file is read once for all of them (a search per word per rule read it about a
    hundred times)."""
    from specgap.rules import all_rules

    automaton = ahocorasick.Automaton()
    for rule in all_rules():
        if rule.mentions is not None:
            for w in _alternatives(rule.mentions)[0] or []:
                automaton.add_word(w.lower(), w.lower())
    automaton.make_automaton()
    return automaton


def _vocabulary() -> frozenset[str]:
    return frozenset(_automaton().keys()) if len(_automaton()) else frozenset()


@functools.lru_cache(maxsize=4)  # every rule asks about the same file in turn
def _present(text: str) -> frozenset[str]:
    """The automaton's words that occur in `text` lowered (every occurrence, overlapping ones too)."""
    return frozenset(map(_WORD, _automaton().iter(_lowered(text))))  # (no generator: a file has thousands)


_WORD = operator.itemgetter(1)  # of the automaton's (end, word) matches


_NON_ASCII_CLASS = re.compile(r"\[[^\x00-\x7f]+\]")

# The characters beyond ASCII that `re.IGNORECASE` matches with an ASCII letter: the dotted and
# dotless i, the long s and the Kelvin sign (a test checks every code point).
FOLDS_TO_ASCII = frozenset("\u0130\u0131\u017f\u212a")


def _folds_as_lowered(text: str) -> bool:
    """Whether an ASCII word is in `text` ignoring case exactly when it is in `text.lower()`: no
    other character lowers to an ASCII one, or matches one ignoring case (most non-ASCII files:
    a regex search of them cost a tenth of a second per rule over a few thousand files)."""
    if text.isascii():
        return True
    for c in FOLDS_TO_ASCII:  # (four substring searches: `isdisjoint(text)` made a string per character)
        if c in text:
            return False
    return True


@functools.lru_cache(maxsize=4)  # as `_as_parsed`: the rules that ignore case share one lowering
def _lowered(text: str) -> str:
    return text.lower()
