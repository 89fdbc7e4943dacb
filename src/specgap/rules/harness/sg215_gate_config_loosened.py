"""SG215 gate-config-loosened: Lint, type-checker or coverage configuration was loosened."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Iterator

import tomllib

from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule
from specgap.rules.harness._pytest_config import key_line, read_ini

# mypy's checks a project turns on one by one (`strict` is all of them)
_MYPY_CHECK = re.compile(r"^(?:strict\w*|disallow_\w+|check_untyped_defs|warn_\w+|no_implicit_\w+|extra_checks"
                         r"|no_implicit_reexport|local_partial_types)$")
_PYRIGHT_MODES = ("off", "basic", "standard", "strict")
_FAIL_UNDER = re.compile(r"--cov-fail-under(?:=|\s+)(\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class _Setting:
    tool: str       # "ruff", "flake8", "mypy", "pyright", "coverage"
    key: str        # "ignore", "select", "per-file-ignores", a mypy flag, "ignore_errors", "fail_under"
    value: object   # frozenset of codes, bool, float or str
    section: str    # where it is written, to find its line
    name: str       # the key as written


def _codes(v: object) -> frozenset[str]:
    items = v if isinstance(v, list) else re.split(r"[,\s]+", str(v))
    return frozenset(str(c).strip() for c in items if str(c).strip())


def _per_file(v: object) -> frozenset[str]:
    """`{"tests/*": ["S101"]}` or the ini `tests/*: S101,E501` lines, as "glob:code" pairs."""
    out: set[str] = set()
    if isinstance(v, dict):
        for glob, codes in v.items():
            out.update(f"{glob}:{c}" for c in _codes(codes))
    else:
        for line in str(v).splitlines():
            glob, _, codes = line.partition(":")
            out.update(f"{glob.strip()}:{c}" for c in _codes(codes))
    return frozenset(out)


def _lint(tool: str, table: dict, section: str) -> Iterator[_Setting]:
    for name, v in table.items():
        key = name.replace("_", "-")
        if key in ("ignore", "extend-ignore"):
            yield _Setting(tool, "ignore", _codes(v), section, name)
        elif key in ("select", "extend-select"):
            yield _Setting(tool, "select", _codes(v), section, name)
        elif key in ("per-file-ignores", "extend-per-file-ignores"):
            yield _Setting(tool, "per-file-ignores", _per_file(v), section, name)


def _flag(v: object) -> bool | None:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    return True if s in ("true", "1", "yes", "on") else False if s in ("false", "0", "no", "off") else None


def _mypy(table: dict, section: str, module: str | None) -> Iterator[_Setting]:
    for name, v in table.items():
        if name == "ignore_errors" and _flag(v) is not None:
            yield _Setting("mypy", f"ignore_errors {module or '*'}", _flag(v), section, name)
        elif module is None and _MYPY_CHECK.match(name) and _flag(v) is not None:
            yield _Setting("mypy", name, _flag(v), section, name)


def _fail_under(v: object, section: str, name: str) -> Iterator[_Setting]:
    try:
        yield _Setting("coverage", "fail_under", float(str(v)), section, name)
    except ValueError:
        return


def _addopts(v: object, section: str) -> Iterator[_Setting]:
    text = " ".join(v) if isinstance(v, list) else str(v)
    m = _FAIL_UNDER.search(text)
    if m:
        yield _Setting("coverage", "fail_under", float(m.group(1)), section, "addopts")


def _from_toml(base: str, text: str) -> list[_Setting] | None:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return None
    out: list[_Setting] = []
    if base in ("ruff.toml", ".ruff.toml"):
        out.extend(_lint("ruff", {k: v for k, v in data.items() if not isinstance(v, dict)}, ""))
        if isinstance(data.get("lint"), dict):
            out.extend(_lint("ruff", data["lint"], "lint"))
        return out
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    ruff = tool.get("ruff") if isinstance(tool.get("ruff"), dict) else {}
    out.extend(_lint("ruff", ruff, "tool.ruff"))
    if isinstance(ruff.get("lint"), dict):
        out.extend(_lint("ruff", ruff["lint"], "tool.ruff.lint"))
    mypy = tool.get("mypy") if isinstance(tool.get("mypy"), dict) else {}
    out.extend(_mypy(mypy, "tool.mypy", None))
    for o in mypy.get("overrides", []) if isinstance(mypy.get("overrides"), list) else []:
        if isinstance(o, dict):
            mods = o.get("module")
            out.extend(_mypy(o, "tool.mypy.overrides", ",".join(mods) if isinstance(mods, list) else str(mods)))
    pyright = tool.get("pyright") if isinstance(tool.get("pyright"), dict) else {}
    if str(pyright.get("typeCheckingMode", "")) in _PYRIGHT_MODES:
        out.append(_Setting("pyright", "mode", pyright["typeCheckingMode"], "tool.pyright", "typeCheckingMode"))
    cov = tool.get("coverage", {}).get("report") if isinstance(tool.get("coverage"), dict) else None
    if isinstance(cov, dict) and "fail_under" in cov:
        out.extend(_fail_under(cov["fail_under"], "tool.coverage.report", "fail_under"))
    pt = tool.get("pytest", {}).get("ini_options") if isinstance(tool.get("pytest"), dict) else None
    if isinstance(pt, dict) and "addopts" in pt:
        out.extend(_addopts(pt["addopts"], "tool.pytest.ini_options"))
    return out


def _from_ini(base: str, text: str) -> list[_Setting] | None:
    cp = read_ini(text)
    if cp is None:
        return None
    out: list[_Setting] = []
    for section in cp.sections():
        items = dict(cp.items(section))
        if section == "flake8" or (section == "ruff" and base == "setup.cfg"):
            out.extend(_lint(section, items, section))
        elif section == "mypy":
            out.extend(_mypy(items, section, None))
        elif section.startswith("mypy-"):
            out.extend(_mypy(items, section, section[len("mypy-"):]))
        elif section in ("coverage:report", "report") and "fail_under" in items:
            if section == "report" and base != ".coveragerc":
                continue
            out.extend(_fail_under(items["fail_under"], section, "fail_under"))
        elif section in ("pytest", "tool:pytest") and "addopts" in items:
            out.extend(_addopts(items["addopts"], section))
    return out


def settings(path: str, text: str) -> list[_Setting] | None:
    """The gate settings a config file holds, or None if it is not one (or does not parse)."""
    base = posixpath.basename(path.rsplit("::", 1)[-1])
    if base in ("pyproject.toml", "ruff.toml", ".ruff.toml"):
        return _from_toml(base, text)
    if base in ("setup.cfg", "tox.ini", ".flake8", "mypy.ini", ".mypy.ini", ".coveragerc"):
        return _from_ini(base, text)
    return None


def _merged(found: list[_Setting]) -> dict[tuple[str, str], _Setting]:
    """One setting per (tool, key): `ignore` and `extend-ignore` (and the lint table) together."""
    out: dict[tuple[str, str], _Setting] = {}
    for s in found:
        k = (s.tool, s.key)
        if k in out and isinstance(s.value, frozenset) and isinstance(out[k].value, frozenset):
            out[k] = _Setting(s.tool, s.key, out[k].value | s.value, out[k].section, out[k].name)
        else:
            out[k] = s
    return out


def _line(text: str, key: str, near: str = "") -> int:
    """The line setting `key`, the first one after a line mentioning `near` (a glob, a module) if
    given: TOML arrays of tables and nested tables have no header `key_line` can find."""
    lines = text.split("\n")
    start = next((i for i, ln in enumerate(lines) if near and near in ln), 0)
    key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=:]")
    for i in range(start, len(lines)):
        if key_re.match(lines[i]):
            return i + 1
    return start + 1 if near else 1


def _blanket(code: str) -> bool:
    """`ALL`, `E`, `F`: a whole linter or family, not one check."""
    return code.upper() == "ALL" or re.fullmatch(r"[A-Z]{1,3}", code) is not None


@register
class GateConfigLoosened(Rule):
    """Lint, type-checker or coverage configuration was loosened.

    What it does: compares the gate settings before and after the change in pyproject.toml,
    ruff.toml, setup.cfg, tox.ini, .flake8, mypy.ini and .coveragerc. Medium: coverage's
    `fail_under` (or `--cov-fail-under`) lowered or removed; mypy's `ignore_errors` turned on for
    the project or a module; `strict` turned off; pyright's `typeCheckingMode` lowered; a whole
    linter or rule family (`ALL`, `E`, `F`) ignored project-wide. Low: ruff or flake8 ignore lists
    growing by single codes, per-file ignores added, `select` losing codes, a single mypy check
    turned off, and families ignored while `select` grows in the same change (a retune). Only
    tools configured before the change are compared: a new config file, or a tool's first
    section in an existing one, is a baseline, not a loosening.

    Low for single codes because projects retune their linters all the time (a new ruff release
    adds rules; tests get `S101` for their asserts). What a reviewer should see is the config
    change that makes a failing gate pass: fewer checks, a lower bar.

    Why is this bad: when CI runs ruff, mypy or coverage as a gate, telling the tool to check less
    is as good as fixing the errors for the gate, and nothing is fixed.

    Example:
        [tool.coverage.report]
        fail_under = 60   # was 90

        [tool.mypy]
        ignore_errors = true

    Use instead: fix the errors or add the tests; if a check is wrong for the project, change it
    in a change of its own that says why.
    """

    id = "SG215"
    name = "gate-config-loosened"
    family = "harness"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    scope = "diff"
    mentions = re.compile(r"ruff|flake8|mypy|pyright|coverage|fail_under|fail-under|ignore|select|report")

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is None or cf.before is None:
            return
        after = settings(cf.path, cf.after.text)
        if not after:
            return
        before = _merged(settings(cf.path, cf.before.text) or [])
        now = _merged(after)
        # a tool configured for the first time starts from its baseline, as a new file does
        configured = {tool for tool, _key in before}
        retuned = {k[0] for k, s in now.items() if k[1] == "select" and k in before
                   and isinstance(s.value, frozenset) and s.value - before[k].value}  # type: ignore[operator]
        for k, s in now.items():
            if k[0] in configured:
                yield from self._compare(cf, s, before.get(k), k[0] in retuned)
        for k, old in before.items():
            if k not in now and k[0] == "coverage":
                yield self.finding(cf, 1, f"coverage threshold {old.value:g} ({old.name}) removed",
                                   before=f"{old.name} = {old.value:g}")
            elif k not in now and k[0] == "mypy" and old.value is True and _MYPY_CHECK.match(k[1]):
                yield self.finding(cf, 1, f"mypy `{k[1]}` removed (was on)",
                                   severity=Severity.MEDIUM if k[1] == "strict" else Severity.LOW)

    def _compare(self, cf: ChangedFile, s: _Setting, old: _Setting | None, retuned: bool) -> Iterator[Finding]:
        text = cf.after.text  # type: ignore[union-attr]
        line = key_line(text, s.section, s.name) if s.section else _line(text, s.name)
        if s.key in ("ignore", "per-file-ignores") and isinstance(s.value, frozenset):
            added = sorted(s.value - (old.value if old is not None else frozenset()))  # type: ignore[operator]
            if added:
                if s.key == "per-file-ignores":
                    glob = added[0].rsplit(":", 1)[0]
                    line = _line(text, glob) if _line(text, glob) > 1 else line
                # per-file ignores are scoped to the files they name; a `select` that grows in the
                # same change is a retune, not a loosening
                blanket = [c for c in added if _blanket(c)] if s.key == "ignore" and not retuned else []
                yield self.finding(cf, line, f"{s.tool} {s.key} gains {', '.join(added[:8])}"
                                   + (" (a whole linter or rule family)" if blanket else ""),
                                   severity=Severity.MEDIUM if blanket else Severity.LOW,
                                   confidence=Confidence.MEDIUM if blanket else Confidence.LOW)
        elif s.key == "select" and old is not None and isinstance(s.value, frozenset):
            lost = sorted(old.value - s.value)  # type: ignore[operator]
            if lost:
                yield self.finding(cf, line, f"{s.tool} select loses {', '.join(lost[:8])}",
                                   severity=Severity.LOW, confidence=Confidence.LOW)
        elif s.key.startswith("ignore_errors") and s.value is True and (old is None or old.value is not True):
            module = s.key.split(" ", 1)[1]
            if s.section.endswith("overrides"):
                line = _line(text, "ignore_errors", near=module.split(",")[0])
            yield self.finding(cf, line, f"mypy ignore_errors turned on for {module}")
        elif s.tool == "mypy" and s.value is False and (old is None or old.value is True):
            if old is not None or s.key == "strict":
                yield self.finding(cf, line, f"mypy `{s.key}` turned off",
                                   severity=Severity.MEDIUM if s.key == "strict" else Severity.LOW,
                                   confidence=Confidence.MEDIUM if s.key == "strict" else Confidence.LOW)
        elif s.tool == "pyright" and old is not None and old.value in _PYRIGHT_MODES and (
                _PYRIGHT_MODES.index(str(s.value)) < _PYRIGHT_MODES.index(str(old.value))):
            yield self.finding(cf, line, f"pyright typeCheckingMode lowered from {old.value} to {s.value}")
        elif s.key == "fail_under" and old is not None and float(s.value) < float(old.value):  # type: ignore[arg-type]
            yield self.finding(cf, line, f"coverage threshold lowered from {old.value:g} to {s.value:g}",
                               before=f"{old.value:g}", after=f"{s.value:g}")
