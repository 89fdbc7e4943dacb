"""The base revision's pytest settings that say where tests are and how they import.

The run never uses the repository's config file (the trusted ini is passed with `-c`), but a few
settings in the *base revision's* config are part of the test suite's meaning: which files are
tests and where they are, extra import paths, warning filters, markers, doctest option flags.
Those keys, and only those, are carried into the trusted ini. From `addopts` only what selects
tests the way the project chose (`-m`, `-k`), how they import (`--import-mode`) and which doctests
run (`--doctest-modules`, `--doctest-glob` ...: they add tests, never hide one) is kept: the rest
(plugins, `--deselect`, `--ignore`, `--lf`, reporting) either cannot hide a test or could, and is
dropped.
"""

from __future__ import annotations

import configparser
import fnmatch
import posixpath
import shlex
import sys
from pathlib import Path

from specgap.inputs.roles import PYTEST_FILE_PATTERNS

if sys.version_info >= (3, 11):
    import tomllib
else:  # the `tomli` dependency on 3.10
    import tomli as tomllib

# Looked up in pytest's own order; the first file with a pytest section wins.
_SOURCES = (("pytest.ini", "pytest"), (".pytest.ini", "pytest"), ("pyproject.toml", None), ("tox.ini", "pytest"),
            ("setup.cfg", "tool:pytest"))
SAFE_KEYS = ("python_files", "python_classes", "python_functions", "pythonpath", "filterwarnings", "markers",
             "xfail_strict", "usefixtures", "empty_parameter_set_mark", "testpaths", "norecursedirs",
             "consider_namespace_packages", "asyncio_mode", "doctest_optionflags", "doctest_encoding")
# addopts that are kept: the base revision's own selection of tests, its import mode, and the
# doctests it collects. Options with a value, then flags.
_KEPT_OPTS = {"-m": "-m", "-k": "-k", "--import-mode": "--import-mode", "--doctest-glob": "--doctest-glob",
              "--doctest-report": "--doctest-report"}
_KEPT_FLAGS = ("--doctest-modules", "--doctest-continue-on-failure", "--doctest-ignore-import-errors")
# Plugins that run a test more than once, as the base chose: pytest-rerunfailures runs a failed
# test again and its last attempt decides; pytest-flakefinder collects every test several times and
# every copy must pass (see verdict.py). Neither can hide a test that fails every time, and dropping
# the repetition could hide one that fails now and then. Their options and settings are kept only
# when the plugin loads (pytest refuses options, and warns of settings, that no plugin declares):
# see `rerun_settings`. flakefinder's `--flake-max-minutes` is not kept: the copies left when its
# time is up are skipped, so a slow change would turn tests into skips.
RERUN_PLUGINS = ("rerunfailures", "pytest_rerunfailures")
_RERUN_OPTS = ("--reruns", "--reruns-delay", "--only-rerun", "--rerun-except")
RERUN_KEYS = ("reruns", "reruns_delay")
REPEAT_PLUGINS = ("flakefinder", "pytest_flakefinder")
_REPEAT_OPTS, _REPEAT_FLAGS = ("--flake-runs",), ("--flake-finder",)
DEFAULT_DOCTEST_GLOBS = ("test*.txt",)  # pytest's own default for --doctest-glob


def read(room: Path) -> dict[str, list[str]]:
    """Safe pytest settings from the room's (base revision's) root config, as lists of values."""
    for name, section in _SOURCES:
        path = room / name
        if not path.is_file():
            continue
        try:
            found = _toml(path) if section is None else _ini(path, section)
        except (OSError, ValueError, configparser.Error, tomllib.TOMLDecodeError):
            continue  # an unreadable config is the suite's problem; defaults apply
        if found is not None:
            kept = {k: v for k, v in found.items() if k in SAFE_KEYS}
            opts = kept_addopts(found.get("addopts", []))
            if opts:
                kept["addopts"] = opts
            off = disabled_plugins(found.get("addopts", []))
            if off:
                kept["disabled_plugins"] = off
            kept.update({k: v for k, v in found.items() if k in RERUN_KEYS})
            reruns = _options(found.get("addopts", []), _RERUN_OPTS)
            if reruns:
                kept["rerun_opts"] = reruns
            repeats = _options(found.get("addopts", []), _REPEAT_OPTS, _REPEAT_FLAGS)
            if "--flake-finder" in repeats:
                kept["repeat_opts"] = repeats
            return kept
    return {}


def kept_addopts(argv: list[str]) -> list[str]:
    """The selecting and import-mode options of the base's addopts (argv items)."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        name, eq, val = a.partition("=")
        if name in _KEPT_OPTS and eq:
            out += [name, val]
        elif a in _KEPT_OPTS and i + 1 < len(argv):
            out += [a, argv[i + 1]]
            i += 1
        elif a in _KEPT_FLAGS:
            out.append(a)
        elif a[:2] in ("-m", "-k") and len(a) > 2 and not a.startswith("--"):
            out += [a[:2], a[2:]]
        i += 1
    return out


def _options(argv: list[str], names: tuple[str, ...], flags: tuple[str, ...] = ()) -> list[str]:
    """The options among `names` in argv (each with its value), and the `flags`, as separate argv items."""
    out: list[str] = []
    for i, a in enumerate(argv):
        name, eq, val = a.partition("=")
        if a in flags:
            out.append(a)
        elif name in names and eq:
            out += [name, val]
        elif a in names and i + 1 < len(argv):
            out += [a, argv[i + 1]]
    return out


def rerun_settings(cfg: dict[str, list[str]], plugins: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """`cfg` without the settings of the rerun plugins that are not among `plugins`, and the options
    to add for those that are."""
    opts = cfg.get("repeat_opts", []) if any(p in REPEAT_PLUGINS for p in plugins) else []
    if any(p in RERUN_PLUGINS for p in plugins):
        return cfg, cfg.get("rerun_opts", []) + opts
    return {k: v for k, v in cfg.items() if k not in RERUN_KEYS}, opts


def disabled_plugins(argv: list[str]) -> list[str]:
    """Plugins the base's addopts turn off (`-p no:NAME`). Only installed plugins that would be
    autoloaded are kept off: turning off one of pytest's own (`no:unittest`) could hide tests."""
    out = []
    for i, a in enumerate(argv):
        value = argv[i + 1] if a == "-p" and i + 1 < len(argv) else a[2:] if a.startswith("-p") and a != "-p" else ""
        if value.startswith("no:"):
            out.append(value[3:])
    return out


def doctest_modules(cfg: dict[str, list[str]]) -> bool:
    return "--doctest-modules" in cfg.get("addopts", [])


def doctest_globs(cfg: dict[str, list[str]]) -> tuple[str, ...]:
    """The patterns of text files pytest runs as doctests under the base's config."""
    opts = cfg.get("addopts", [])
    found = tuple(opts[i + 1] for i, a in enumerate(opts[:-1]) if a == "--doctest-glob")
    return found or DEFAULT_DOCTEST_GLOBS


def _ini(path: Path, section: str) -> dict[str, list[str]] | None:
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(path, encoding="utf-8")
    if not cp.has_section(section):
        return None
    found = {k: [ln.strip() for ln in v.splitlines() if ln.strip()] for k, v in cp.items(section)}
    if "addopts" in found:
        found["addopts"] = _split(" ".join(found["addopts"]))
    return found


def _toml(path: Path) -> dict[str, list[str]] | None:
    tool = tomllib.loads(path.read_text("utf-8")).get("tool", {}).get("pytest")
    if not isinstance(tool, dict):
        return None
    opts = tool.get("ini_options", tool)
    found = {k: [str(x) for x in v] if isinstance(v, list) else [str(v)] for k, v in opts.items()}
    if isinstance(opts.get("addopts"), str):
        found["addopts"] = _split(opts["addopts"])
    # A TOML list is already argv, as pytest reads it: `["-m", "not slow"]` keeps "not slow" whole.
    return found


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return []


# Where build backends write the version file they generate from git (hatch-vcs, setuptools-scm).
_VERSION_FILES = ((("hatch", "build", "hooks", "vcs"), "version-file"), (("setuptools_scm",), "version_file"),
                  (("setuptools_scm",), "write_to"))


def version_files(room: Path) -> list[str]:
    """Files the base revision's build config says are generated at build time (and so ignored by
    git, yet imported by the package): they come from the working tree as built."""
    try:
        tool = tomllib.loads((room / "pyproject.toml").read_text("utf-8")).get("tool", {})
    except (OSError, ValueError, tomllib.TOMLDecodeError):
        return []
    out = []
    for keys, name in _VERSION_FILES:
        table = tool
        for k in keys:
            table = table.get(k, {}) if isinstance(table, dict) else {}
        value = table.get(name) if isinstance(table, dict) else None
        if isinstance(value, str) and value and not value.startswith("/") and ".." not in value.split("/"):
            out.append(posixpath.normpath(value))
    return out


def file_patterns(cfg: dict[str, list[str]]) -> tuple[str, ...]:
    values = cfg.get("python_files")
    if not values:
        return PYTEST_FILE_PATTERNS
    return tuple(p for v in values for p in v.split())


def selector(patterns: tuple[str, ...]):
    """pytest's matching: a pattern with a `/` matches the end of the path, others the file name."""

    def match(path: str) -> bool:
        for p in patterns:
            if "/" in p:
                if fnmatch.fnmatchcase("/" + path, "*/" + p.lstrip("/")):
                    return True
            elif fnmatch.fnmatchcase(posixpath.basename(path), p):
                return True
        return False

    return match


def ini_text(cfg: dict[str, list[str]], room: Path) -> str:
    """The trusted ini: pytest's defaults, overridden by the base's safe settings."""
    lines = ["[pytest]"]
    settings = {"python_files": list(PYTEST_FILE_PATTERNS), "python_classes": ["Test"], "python_functions": ["test"]}
    settings.update(cfg)
    for key, values in settings.items():
        if key in ("addopts", "disabled_plugins", "rerun_opts", "repeat_opts"):  # passed on the command line instead
            continue
        if key == "pythonpath":  # relative to the base config's directory, i.e. the room
            values = [str(room / p) for v in values for p in v.split()]
        if key in ("filterwarnings", "markers"):  # one entry per line
            lines.append(f"{key} =" + "".join(f"\n    {v}" for v in values))
        else:
            lines.append(f"{key} = {' '.join(values)}")
    return "\n".join(lines) + "\n"
