"""Shell lines into simple commands, with shlex: enough structure for rules, never executed.

`cd x && rm -f tests/t.py | tee log > out.txt` -> (cd x), (rm -f tests/t.py), (tee log) with
redirect out.txt. Heredoc bodies are data, not commands, so they are cut out first. A line
shlex cannot split (an unbalanced quote) falls back to whitespace words, so nothing is lost.
"""

from __future__ import annotations

import re
import shlex

from specgap.rollout import Command

_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;", "|&", "\n"})
_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "<", "<<", "<<<", "2>", "2>>"})
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1[^\n]*\n.*?\n\s*\2\s*(?:\n|$)", re.S)
_MAX_CHARS = 100_000  # a command longer than this is data pasted into a shell; keep its start


def heredoc_free(line: str) -> str:
    return _HEREDOC.sub("<< HEREDOC\n", line)


def _tokens(line: str) -> list[str]:
    lex = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        return list(lex)
    except ValueError:
        return line.split()


def parse(line: str) -> tuple[Command, ...]:
    """The simple commands of a shell line."""
    text = line[:_MAX_CHARS]
    commands: list[Command] = []
    argv: list[str] = []
    redirects: list[str] = []
    pending: str | None = None
    # newlines separate commands (a backslash-newline does not)
    body = heredoc_free(text).replace("\\\n", " ").replace("\n", " ; ")
    for tok in _tokens(body):
        if pending is not None:
            if pending.startswith(">") or pending.endswith(">") or pending.endswith(">>"):
                redirects.append(tok)
            pending = None
            continue
        if tok in _REDIRECTS:
            if tok.startswith(">") and argv and argv[-1] in ("1", "2"):  # `2> err` split by shlex
                argv.pop()
            pending = tok
            continue
        if tok in _SEPARATORS or set(tok) <= set(";&|()\n"):
            if argv or redirects:
                commands.append(Command(tuple(argv), line, tuple(redirects)))
            argv, redirects = [], []
            continue
        argv.append(tok)
    if argv or redirects:
        commands.append(Command(tuple(argv), line, tuple(redirects)))
    return tuple(commands)


def command_line(value: object) -> str | None:
    """A command line from a tool argument: a string, or an argv list (`["bash", "-lc", "ls"]`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        if len(value) >= 3 and value[0].rsplit("/", 1)[-1] in ("bash", "sh", "zsh") and value[1] in ("-c", "-lc", "-ic"):
            return value[2]
        return shlex.join(value)
    return None
