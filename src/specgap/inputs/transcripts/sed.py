"""`sed -i` edits replayed onto a rollout's virtual tree: the simple, unambiguous forms only.

Replayed: `sed -i[SUFFIX] [-E|-r] [-e] SCRIPT FILE...` (also `--in-place[=SUFFIX]`,
`--regexp-extended`, `--expression=SCRIPT`, BSD's `-i ''`), where SCRIPT is one or more
`s/REGEX/REPLACEMENT/FLAGS` commands (any delimiter; flags `g`, a number, `i`/`I`) separated by `;`
or newlines, and the files are named (no glob, no variable). Everything else (addresses, other
commands, `-n`, `-z`, `\\L`/`\\U` case conversion, alternation, whose leftmost-longest POSIX match
Python's regex engine does not reproduce) is reported as not replayed, never guessed.

The regex is translated from POSIX BRE (or ERE with `-E`) to Python's syntax and applied line by
line, as sed does.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Callable


_CLASSES = {"digit": r"0-9", "alpha": r"a-zA-Z", "alnum": r"a-zA-Z0-9", "upper": r"A-Z", "lower": r"a-z",
            "space": r"\s", "blank": r" \t", "xdigit": r"0-9A-Fa-f", "punct": r"!-/:-@\[-`{-~"}
_GLOB = re.compile(r"[*?\[\]{}$`~]")


class NotReplayed(Exception):
    """A sed command this module does not replay; the message says why."""


class NotInPlace(NotReplayed):
    """A sed that edits no file (it writes to stdout): nothing to replay, nothing to report."""


@dataclass(frozen=True)
class Substitution:
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str]], str]
    occurrence: int  # 0: every match (`g`); n: only the n-th


@dataclass(frozen=True)
class SedEdit:
    script: tuple[Substitution, ...]
    files: tuple[str, ...]

    def apply(self, text: str) -> str:
        body, end = (text[:-1], "\n") if text.endswith("\n") else (text, "")
        return "\n".join(self._line(line) for line in body.split("\n")) + end

    def _line(self, line: str) -> str:
        for s in self.script:
            if s.occurrence == 0:
                line = s.pattern.sub(s.replace, line)
                continue
            seen = 0

            def nth(m: re.Match[str], s: Substitution = s) -> str:
                nonlocal seen
                seen += 1
                return s.replace(m) if seen == s.occurrence else m.group(0)

            line = s.pattern.sub(nth, line)
        return line


def parse(argv: tuple[str, ...], cwd: str = "") -> SedEdit:
    """The edit `sed -i` makes, or NotReplayed saying why it is not replayed."""
    scripts: list[str] = []
    rest: list[str] = []
    extended = in_place = False
    args = list(argv[1:])
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            rest += args[i:]
            break
        if a.startswith("--"):
            name, _, value = a[2:].partition("=")
            if name == "in-place":
                in_place = True
            elif name == "regexp-extended":
                extended = True
            elif name == "expression":
                if not value and "=" not in a:
                    if i >= len(args):
                        raise NotReplayed("--expression without a script")
                    value, i = args[i], i + 1
                scripts.append(value)
            elif name not in ("follow-symlinks", "separate", "unbuffered"):
                raise NotReplayed(f"option --{name} is not replayed")
            continue
        if not a.startswith("-") or a == "-":
            rest.append(a)
            continue
        for k, ch in enumerate(a[1:], 1):
            if ch == "i":  # the rest of the cluster is the backup suffix (GNU: `-ie` means suffix "e")
                in_place = True
                if k == len(a) - 1 and i < len(args) and args[i] == "":
                    i += 1  # BSD `-i ''`: no backup
                break
            if ch == "e":
                if k < len(a) - 1:
                    scripts.append(a[k + 1:])
                elif i < len(args):
                    scripts.append(args[i])
                    i += 1
                else:
                    raise NotReplayed("-e without a script")
                break
            if ch in "Er":
                extended = True
            elif ch not in "su":
                raise NotReplayed(f"option -{ch} is not replayed")
    if not in_place:
        raise NotInPlace("not an in-place edit")
    if not scripts:
        if not rest:
            raise NotReplayed("no script")
        scripts.append(rest.pop(0))
    if not rest:
        raise NotReplayed("no file named")
    bad = [f for f in rest if f == "-" or _GLOB.search(f)]
    if bad:
        raise NotReplayed(f"files named by a pattern or variable ({bad[0]}) are not replayed")
    files = tuple(posixpath.normpath(posixpath.join(cwd, f)) if cwd else f for f in rest)
    return SedEdit(tuple(s for script in scripts for s in _script(script, extended)), files)


def _script(script: str, extended: bool) -> list[Substitution]:
    out = []
    pos = 0
    while True:
        while pos < len(script) and script[pos] in " \t\n;":
            pos += 1
        if pos >= len(script):
            return out
        if script[pos] != "s" or pos + 1 >= len(script) or script[pos + 1] in "\\\n":
            raise NotReplayed(f"only s/// commands without an address are replayed (got {script[pos:pos + 20]!r})")
        delim = script[pos + 1]
        regex, pos = _field(script, pos + 2, delim)
        repl, pos = _field(script, pos, delim)
        flags = re.match(r"[^;\n}\s]*", script[pos:]).group(0)  # type: ignore[union-attr]
        pos += len(flags)
        out.append(_substitution(regex, repl, flags, extended))


def _field(script: str, pos: int, delim: str) -> tuple[str, int]:
    """The text up to the next unescaped `delim` (an escaped delimiter stands for itself)."""
    buf = []
    while pos < len(script):
        ch = script[pos]
        if ch == "\\" and pos + 1 < len(script):
            nxt = script[pos + 1]
            buf.append(nxt if nxt == delim else ch + nxt)
            pos += 2
            continue
        if ch == delim:
            return "".join(buf), pos + 1
        buf.append(ch)
        pos += 1
    raise NotReplayed("unterminated s command")


def _substitution(regex: str, repl: str, flags: str, extended: bool) -> Substitution:
    if not regex:
        raise NotReplayed("an empty regex (sed's last regex) is not replayed")
    occurrence, ignore_case = 1, False
    m = re.fullmatch(r"(g|\d+)?([iI])?", flags)
    if not m or flags.count("g") > 1:
        raise NotReplayed(f"s flags {flags!r} are not replayed (only g, a number, i)")
    if m.group(1) == "g":
        occurrence = 0
    elif m.group(1):
        occurrence = int(m.group(1))
        if occurrence == 0:
            raise NotReplayed("s flag 0 is invalid")
    ignore_case = bool(m.group(2))
    try:
        pattern = re.compile(_translate(regex, extended), re.I if ignore_case else 0)
    except re.error as exc:
        raise NotReplayed(f"regex {regex!r} could not be translated: {exc}") from exc
    replace, groups = _replacement(repl)
    if groups > pattern.groups:
        raise NotReplayed(f"the replacement refers to group {groups}, the regex has {pattern.groups}")
    return Substitution(pattern, replace, occurrence)


def _translate(regex: str, extended: bool) -> str:
    """POSIX BRE/ERE to Python regex syntax."""
    out: list[str] = []
    i = 0
    while i < len(regex):
        ch = regex[i]
        if ch == "[":
            end, body = _bracket(regex, i)
            out.append(body)
            i = end
            continue
        if ch == "\\" and i + 1 < len(regex):
            nxt = regex[i + 1]
            i += 2
            if nxt == "|" and not extended:
                raise NotReplayed("alternation is not replayed (POSIX matches the longest alternative)")
            if nxt in "(){}+?" and not extended:
                out.append(nxt)  # BRE: `\(` is a group, `\{` an interval, GNU `\+` `\?`
            elif nxt in "<>":
                out.append(r"\b")
            elif nxt.isdigit() or nxt in "wWsSbBnt.*[]^$\\/":
                out.append("\\" + nxt)
            elif nxt in "`'":
                out.append(r"\A" if nxt == "`" else r"\Z")
            else:
                out.append(re.escape(nxt))
            continue
        if ch == "|" and extended:
            raise NotReplayed("alternation is not replayed (POSIX matches the longest alternative)")
        if ch in "(){}+?|" and not extended:
            out.append("\\" + ch)  # BRE: literal
        elif ch == "^" and not extended and i > 0 and regex[i - 2:i] != "\\(":
            out.append(r"\^")  # BRE: an anchor only at the start (of the regex or a group)
        elif ch == "$" and not extended and i < len(regex) - 1 and regex[i + 1:i + 3] != "\\)":
            out.append(r"\$")
        elif ch == "*" and (not out or out[-1] in ("^", "(", "\\(")):
            out.append(r"\*")  # a leading `*` is literal
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _bracket(regex: str, start: int) -> tuple[int, str]:
    """A bracket expression from `start` (`[`): its end and its Python form."""
    i = start + 1
    body = ["["]
    if i < len(regex) and regex[i] == "^":
        body.append("^")
        i += 1
    first = True
    while i < len(regex):
        ch = regex[i]
        if ch == "]" and not first:
            body.append("]")
            return i + 1, "".join(body)
        if regex.startswith("[:", i):
            end = regex.find(":]", i + 2)
            name = regex[i + 2:end] if end > 0 else ""
            if name not in _CLASSES:
                raise NotReplayed(f"character class [:{name}:] is not replayed")
            body.append(_CLASSES[name])
            i = end + 2
        elif regex.startswith(("[=", "[."), i):
            raise NotReplayed("collating elements are not replayed")
        elif ch == "\\":
            raise NotReplayed("a backslash in a bracket expression is not replayed (GNU and POSIX disagree)")
        else:
            # `&`, `~`, `|` and a second `-` are literal in POSIX but set operators to a future Python
            literal = ch in "[]&~|" or (ch == "^" and first) or (ch == "-" and body[-1] == "-")
            body.append("\\" + ch if literal else ch)
            i += 1
        first = False
    raise NotReplayed("unterminated bracket expression")


def _replacement(repl: str) -> tuple[Callable[[re.Match[str]], str], int]:
    """The replacement as a function of the match, and the highest group it refers to."""
    parts: list[str | int] = []
    i = 0
    while i < len(repl):
        ch = repl[i]
        if ch == "\\" and i + 1 < len(repl):
            nxt = repl[i + 1]
            i += 2
            if nxt.isdigit():
                parts.append(int(nxt))
            elif nxt == "n":
                parts.append("\n")
            elif nxt == "t":
                parts.append("\t")
            elif nxt in "LUElu":
                raise NotReplayed(f"case conversion \\{nxt} is not replayed")
            else:
                parts.append(nxt)
            continue
        parts.append(0 if ch == "&" else ch)
        i += 1

    def replace(m: re.Match[str]) -> str:
        return "".join(p if isinstance(p, str) else (m.group(p) or "") for p in parts)

    return replace, max((p for p in parts if isinstance(p, int)), default=0)
