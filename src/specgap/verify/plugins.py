"""The installed pytest plugins a plain `pytest` run would autoload, less those the change can reach.

pytest loads every `pytest11` entry point of every installed distribution. The child runs with
pytest's own autoload off (it would search sys.path, where the room comes first) and is given
`-p NAME` for each entry point that:

- belongs to a distribution in the interpreter's trusted site-packages (which holds no path into
  the repository: see `session.verify`);
- names a module whose top-level package is installed there, outside the repository, and is not
  also a top-level name of the room (the room comes first on sys.path, so the change's copy would
  be the one imported: an editable install of the project under test never loads);
- is not turned off by the base revision's `-p no:NAME`.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path

_EXTENSIONS = (".py", ".pyc", ".so", ".pyd")


def autoload(site: list[str], room: Path, repo: Path, disabled: set[str]) -> list[str]:
    """Entry-point names to load with `-p`, in site-packages order."""
    tops = room_tops(room)
    keep: dict[str, None] = {}
    refused: set[str] = set()
    for d in site:
        for name, module in entry_points(Path(d)):
            top = module.split(".", 1)[0]
            if name in disabled:
                continue
            if top in tops or not _installed(top, site, repo):
                refused.add(name)
            else:
                keep[name] = None
    # `-p NAME` loads every entry point of that name: one refused anywhere refuses the name.
    return [n for n in keep if n not in refused]


def entry_points(site_dir: Path) -> list[tuple[str, str]]:
    """(name, module) of each `pytest11` entry point declared in `site_dir`'s metadata."""
    out = []
    try:
        infos = sorted(p for p in site_dir.iterdir() if p.suffix in (".dist-info", ".egg-info"))
    except OSError:
        return out
    for info in infos:
        cp = configparser.ConfigParser(interpolation=None, delimiters=("=",))
        cp.optionxform = str  # entry-point names are case-sensitive
        try:
            cp.read(info / "entry_points.txt", encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            continue  # unreadable metadata: pytest would fail on it too; nothing is loaded from it
        if cp.has_section("pytest11"):
            for name, value in cp.items("pytest11"):
                module = value.split(":", 1)[0].strip()
                if name.strip() and module:
                    out.append((name.strip(), module))
    return out


def room_tops(room: Path) -> set[str]:
    """Top-level importable names the room provides (from its root and `src/`)."""
    names = set()
    for d in (room, room / "src"):
        try:
            entries = list(d.iterdir())
        except OSError:
            continue
        for p in entries:
            if p.is_dir():
                names.add(p.name)
            elif p.name.endswith(_EXTENSIONS):
                names.add(p.name.split(".", 1)[0])
    return names


def _installed(top: str, site: list[str], repo: Path) -> bool:
    """Whether `top`, as the child would import it from the site dirs, lies outside the repo."""
    for d in site:
        base = Path(d)
        found = [base / top] if (base / top).is_dir() else [
            p for p in _listing(base) if p.name.split(".", 1)[0] == top and p.name.endswith(_EXTENSIONS)]
        if found:  # the first site dir that has it is the one imported
            return not any(Path(os.path.realpath(p)).is_relative_to(repo) for p in found)
    return False


def _listing(d: Path) -> list[Path]:
    try:
        return list(d.iterdir())
    except OSError:
        return []
