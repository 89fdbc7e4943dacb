"""Pytest's ini options as a config file sets them, and what a pytest command line selects.

Pytest reads its options from the first of pytest.ini / .pytest.ini ([pytest]), pyproject.toml
([tool.pytest.ini_options], or [tool.pytest] with native TOML values), tox.ini ([pytest]) and
setup.cfg ([tool:pytest]). The files are parsed with configparser / tomllib; line numbers (which
neither keeps) are found by locating the key inside its section.
"""

from __future__ import annotations

import configparser
import posixpath
import re
import shlex
from dataclasses import dataclass

import tomllib

_INI_SECTIONS = {"pytest.ini": "pytest", ".pytest.ini": "pytest", "tox.ini": "pytest", "setup.cfg": "tool:pytest"}
_TOML_TABLES = (("tool", "pytest", "ini_options"), ("tool", "pytest"))
_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")


@dataclass(frozen=True)
class Option:
    key: str
    tokens: tuple[str, ...]   # the value split the way pytest splits it (shell words / lines / list)
    line: int


def read_ini(text: str) -> configparser.RawConfigParser | None:
    cp = configparser.RawConfigParser(strict=False, interpolation=None, inline_comment_prefixes=("#", ";"))
    try:
        cp.read_string(text)
    except (configparser.Error, UnicodeError, ValueError):
        return None
    return cp


def section_line(text: str, section: str) -> int:
    """Line of the `[section]` header, or 1."""
    for n, line in enumerate(text.split("\n"), 1):
        m = _HEADER.match(line)
        if m and m.group(1).replace('"', "").replace("'", "") == section:
            return n
    return 1


def key_line(text: str, section: str, key: str) -> int:
    """Line of `key = ...` inside `[section]` (ini or toml header), or of the header, or 1."""
    in_section, header_line = False, 0
    key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=:]")
    for n, line in enumerate(text.split("\n"), 1):
        m = _HEADER.match(line)
        if m:
            in_section = m.group(1).replace('"', "").replace("'", "") == section
            header_line = n if in_section else header_line
            continue
        if in_section and key_re.match(line):
            return n
    return header_line or 1


def _split(key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        out: list[str] = []
        for v in value:
            out.extend(_split(key, v) if key == "addopts" else (str(v),))
        return tuple(out)
    s = str(value)
    if key == "addopts":
        try:
            return tuple(shlex.split(s))
        except ValueError:
            return tuple(s.split())
    return tuple(s.split())


def pytest_options(path: str, text: str) -> dict[str, Option] | None:
    """Pytest's options in this file, or None if the file does not configure pytest (or is broken)."""
    base = posixpath.basename(path.rsplit("::", 1)[-1])  # also inside a container: "x.md::pytest.ini"
    if base in _INI_SECTIONS:
        section = _INI_SECTIONS[base]
        cp = read_ini(text)
        if cp is None or not cp.has_section(section):
            return None
        return {k: Option(k, _split(k, v), key_line(text, section, k)) for k, v in cp.items(section)}
    if base == "pyproject.toml":
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError):
            return None
        for table in _TOML_TABLES:
            node: object = data
            for part in table:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict) and node:
                section = ".".join(table)
                return {k: Option(k, _split(k, v), key_line(text, section, k))
                        for k, v in node.items() if not isinstance(v, dict)}
    return None


@dataclass(frozen=True)
class Narrowing:
    token: str       # as written, e.g. "--deselect tests/test_x.py::test_y"
    strong: bool     # selects tests away for sure (-k, --deselect, ignoring test paths, --co)
    why: str


def looks_like_tests(value: str) -> bool:
    """A path or glob that names test files, or matches everything."""
    return "test" in value.lower() or value.strip("/") in ("*", "*.py", "**", "**/*.py", ".")


def narrowing(tokens: tuple[str, ...] | list[str]) -> list[Narrowing]:
    """Options in a pytest argument list that run fewer tests, or report failures as success."""
    out: list[Narrowing] = []
    toks = list(tokens)
    i = 0
    while i < len(toks):
        t = toks[i]
        opt, eq, val = t.partition("=")
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        takes = not eq
        if opt == "-k" or (opt.startswith("-k") and len(opt) > 2 and not opt.startswith("--")):
            expr = val or (opt[2:] if len(opt) > 2 else nxt)
            out.append(Narrowing(f"-k {expr}".strip(), True, "selects tests by name expression"))
            i += 2 if takes and len(opt) == 2 else 1
            continue
        if opt == "--deselect":
            out.append(Narrowing(f"--deselect {val or nxt}", True, "deselects tests"))
            i += 2 if takes else 1
            continue
        if opt in ("--ignore", "--ignore-glob"):
            target = val or nxt
            out.append(Narrowing(f"{opt} {target}", looks_like_tests(target), "skips collecting a path"))
            i += 2 if takes else 1
            continue
        if opt == "-p" or (opt.startswith("-p") and opt[2:].startswith("no:")):
            name = val or (opt[2:] if len(opt) > 2 else nxt)
            if name.startswith("no:") and name[3:] in ("python", "unittest", "doctest", "runner", "main"):
                out.append(Narrowing(f"-p {name}", True, "disables test collection or running"))
            i += 2 if takes and opt == "-p" else 1
            continue
        if opt in ("-o", "--override-ini") or (opt.startswith("-o") and not opt.startswith("--") and len(opt) > 2):
            setting = val or (opt[2:] if len(opt) > 2 else nxt)
            key = setting.split("=", 1)[0]
            if key in ("python_files", "python_functions", "python_classes", "testpaths", "norecursedirs"):
                out.append(Narrowing(f"-o {setting}", True, f"overrides {key}"))
            i += 2 if takes and opt in ("-o", "--override-ini") else 1
            continue
        if opt in ("--co", "--collect-only", "--collectonly"):
            out.append(Narrowing(opt, True, "only collects tests, never runs them"))
        elif opt in ("--lf", "--last-failed", "--sw", "--stepwise", "--ff"):
            out.append(Narrowing(opt, opt in ("--lf", "--last-failed"), "runs only what a cache file selects"))
        elif opt in ("-m",):
            expr = val or nxt
            out.append(Narrowing(f"-m {expr}", False, "selects tests by marker"))
            i += 2 if takes else 1
            continue
        elif opt in ("--suppress-no-test-exit-code",):
            out.append(Narrowing(opt, False, "turns 'no tests ran' into success"))
        i += 1
    return out
