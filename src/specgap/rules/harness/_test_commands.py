"""The test commands a repository runs: CI workflows, tox, Makefiles, noxfiles and CI scripts.

Each file kind is parsed as what it is (YAML with PyYAML's composer, which keeps line numbers;
tox.ini with configparser; Makefile recipe lines; noxfile `session.run` calls from the AST) into
commands with their lines, plus the settings that let a failing job pass (`continue-on-error`,
`allow_failure`, tox `ignore_outcome`).
"""

from __future__ import annotations

import ast
import posixpath
import re
import shlex
from dataclasses import dataclass, field

import yaml

from specgap.analysis.context import subtree
from specgap.analysis.testfns import call_name
from specgap.model import SourceFile
from specgap.rules.harness import _pytest_config as pc


def file_name(path: str) -> str:
    """File name of a path, also inside a container ("rollout.md::tests/conftest.py" -> "conftest.py")."""
    return posixpath.basename(path.rsplit("::", 1)[-1])


# A command that runs a test suite (directly or through tox, nox, make ...).
TEST_CMD = re.compile(
    r"(?<![\w/.-])(py\.test|pytest|tox|nox|unittest|nosetests|trial|stestr|green)(?![\w-])"
    r"|\bmake\s+(test|check|tests)\b|\bmanage\.py\s+test\b|\bsetup\.py\s+test\b|\bhatch\s+(run\s+)?test"
)
PYTEST_WORD = re.compile(r"(?<![\w/.-])(py\.test|pytest)(?![\w.-])")
_YAML_RUN_KEYS = frozenset({"run", "script", "before_script", "after_script", "command", "commands"})
_YAML_FAIL_OK = frozenset({"continue-on-error", "allow_failure", "allow-failure", "ignore_failure"})


@dataclass(frozen=True)
class Cmd:
    """One command and the line it is written on."""

    line: int
    text: str
    ignore_rc: bool = False   # tox/Makefile leading `-`, nox success_codes
    block: int = 0            # commands of one block run in one shell (a YAML `run:` scalar, a script)


@dataclass
class Commands:
    """What one file runs."""

    cmds: list[Cmd] = field(default_factory=list)
    # (line, value text) of settings that let a failing job or env pass, where it runs tests
    fail_ok: list[tuple[int, str]] = field(default_factory=list)


def _yaml_commands(text: str) -> Commands | None:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    out = Commands()

    # anchors and aliases make the node graph shared or even cyclic (`a: &a [*a]`): visit each node once
    def scalars(node: yaml.Node) -> list[yaml.ScalarNode]:
        out_s, seen, todo = [], set(), [node]
        while todo:
            n = todo.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            if isinstance(n, yaml.ScalarNode):
                out_s.append(n)
            elif isinstance(n, yaml.SequenceNode):
                todo.extend(reversed(n.value))
        return out_s

    def runs_tests(node: yaml.Node) -> bool:
        seen, todo = set(), [node]
        while todo:
            n = todo.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            if isinstance(n, yaml.ScalarNode) and isinstance(n.value, str) and TEST_CMD.search(n.value):
                return True
            if isinstance(n, yaml.MappingNode):
                todo.extend(v for _k, v in n.value)
            elif isinstance(n, yaml.SequenceNode):
                todo.extend(n.value)
        return False

    visited: set[int] = set()
    stack: list[yaml.Node] = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
            continue
        if not isinstance(node, yaml.MappingNode):
            continue
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else None
            if key in _YAML_RUN_KEYS:
                for sc in scalars(v):
                    first = sc.start_mark.line + (2 if sc.style in ("|", ">") else 1)
                    for i, ln in enumerate(str(sc.value).split("\n")):
                        if ln.strip():
                            out.cmds.append(Cmd(first + i, ln.strip(), block=first))
            elif key == "PYTEST_ADDOPTS" and isinstance(v, yaml.ScalarNode):
                out.cmds.append(Cmd(v.start_mark.line + 1, f"PYTEST_ADDOPTS='{v.value}'", block=-1))
            elif key in _YAML_FAIL_OK and isinstance(v, yaml.ScalarNode) and str(v.value).lower() not in ("false", "no", "0", ""):
                if runs_tests(node):
                    out.fail_ok.append((k.start_mark.line + 1, f"{key}: {v.value}"))
            stack.append(v)
    return out


def _tox_commands(text: str) -> Commands | None:
    cp = pc.read_ini(text)
    if cp is None:
        return None
    out = Commands()
    lines = text.split("\n")
    for section in cp.sections():
        if not section.startswith("testenv"):
            continue
        cmds: list[Cmd] = []
        raw = cp.get(section, "commands", fallback="")
        start = pc.key_line(text, section, "commands")
        for cmd in raw.split("\n"):
            c = cmd.strip()
            if not c or c.startswith("#"):
                continue
            n = next((i + 1 for i in range(start - 1, len(lines)) if c in lines[i]), start)
            cmds.append(Cmd(n, c.lstrip("-").strip(), ignore_rc=c.startswith("-"), block=start))
        out.cmds.extend(cmds)
        # `ignore_outcome` turns a failing env into a warning (`ignore_errors` only keeps going, still failing)
        flag = cp.get(section, "ignore_outcome", fallback="").strip().lower()
        if flag in ("true", "1", "yes") and any(TEST_CMD.search(c.text) for c in cmds):
            out.fail_ok.append((pc.key_line(text, section, "ignore_outcome"), f"ignore_outcome = {flag}"))
    return out


def _make_commands(text: str) -> Commands:
    out = Commands()
    for n, line in enumerate(text.split("\n"), 1):
        if line.startswith("\t") and line.strip() and not line.strip().startswith("#"):
            c = line.strip()
            prefix = re.match(r"^[@+-]*", c).group(0)  # type: ignore[union-attr]
            out.cmds.append(Cmd(n, c[len(prefix):], ignore_rc="-" in prefix, block=n))
    return out


def _nox_commands(tree: ast.Module) -> Commands:
    out = Commands()
    for n in subtree(tree):
        if isinstance(n, ast.Call) and call_name(n) in ("run", "run_always", "install"):
            words = [str(a.value) for a in n.args if isinstance(a, ast.Constant)]
            codes = next((k.value for k in n.keywords if k.arg == "success_codes"), None)
            bad = codes is not None and any(isinstance(c, ast.Constant) and c.value != 0 for c in subtree(codes))
            bad = bad or (codes is not None and not isinstance(codes, (ast.List, ast.Tuple, ast.Set)))
            out.cmds.append(Cmd(n.lineno, " ".join(words), ignore_rc=bad))
    return out


def _shell_commands(text: str) -> Commands:
    return Commands([Cmd(n, ln.strip()) for n, ln in enumerate(text.split("\n"), 1)
                      if ln.strip() and not ln.strip().startswith("#")])


def commands(path: str, sf: SourceFile | None) -> Commands | None:
    """The commands a CI file, tox.ini, Makefile, noxfile or CI script runs, with their lines."""
    if sf is None:
        return None
    base = file_name(path)
    path = path.rsplit("::", 1)[-1]
    if base.endswith((".yml", ".yaml")):
        return _yaml_commands(sf.text)
    if base == "tox.ini":
        return _tox_commands(sf.text)
    if base in ("Makefile", "makefile", "GNUmakefile") or base.endswith(".mk"):
        return _make_commands(sf.text)
    if base == "noxfile.py":
        return _nox_commands(sf.tree) if sf.tree is not None else None
    if base.endswith((".sh", ".bash")) or "/.ci/" in f"/{path}" or path.startswith(".ci/"):
        return _shell_commands(sf.text)
    return None


_ADDOPTS_ENV = re.compile(r"""PYTEST_ADDOPTS\s*[=:]\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def pytest_args(cmd: str) -> list[str]:
    """Arguments a command passes to pytest: after the `pytest` word, and in PYTEST_ADDOPTS."""
    out: list[str] = []
    env = _ADDOPTS_ENV.search(cmd)
    if env:
        out += _split(next(g for g in env.groups() if g is not None))
    m = PYTEST_WORD.search(cmd, env.end() if env else 0)
    if m:
        out += _split(re.split(r"\s*(?:&&|\|\||;|\|)\s*", cmd[m.end():], maxsplit=1)[0])
    return out
