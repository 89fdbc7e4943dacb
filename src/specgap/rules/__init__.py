"""The rule catalog: every rule, by id, in one registry.

Rules live one per module in family packages (`rules/solution/sg402_special_cased_inputs.py`)
and declare their `family` and what they `reads`; the registry imports every module under
`specgap.rules` once and selects by those declarations. Families by id range: SG1xx `tests`,
SG2xx `harness`, SG3xx `escapes`, SG4xx `solution`, SG5xx `leaks`, SG6xx `measurement`, SG9xx
`suppressions`. The pages of checks that run elsewhere (SG7xx verify, SG8xx monitor) are in
`catalog`, so one registry documents them all without importing either pillar.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TypeVar

from specgap.rules.base import Rule

_REGISTRY: dict[str, type[Rule]] = {}
_loaded = False

R = TypeVar("R", bound=type[Rule])


def register(cls: R) -> R:
    """Class decorator: add a rule to the catalog (ids and names must be unique)."""
    if not cls.id or not cls.name or not cls.family:
        raise ValueError(f"{cls.__name__}: a rule needs an id, a name and a family")
    for other in _REGISTRY.values():
        if other.name == cls.name and other.id != cls.id:
            raise ValueError(f"{cls.id}: name {cls.name!r} already used by {other.id}")
    if cls.id in _REGISTRY and _REGISTRY[cls.id] is not cls:
        raise ValueError(f"duplicate rule id {cls.id}")
    _REGISTRY[cls.id] = cls
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        importlib.import_module(mod.name)


def all_rules() -> list[type[Rule]]:
    """Every registered rule, sorted by id as a number (SG109, SG110, ..., SG903, SG1001)."""
    _load()
    return [_REGISTRY[k] for k in sorted(_REGISTRY, key=lambda k: (len(k), k))]


def scan_rules() -> list[type[Rule]]:
    """The rules `specgap scan` runs: those that read the files of a change."""
    return [r for r in all_rules() if r.reads == "file"]


def rollout_rules() -> list[type[Rule]]:
    """The rules `specgap transcripts` runs on each rollout, besides the scan rules on its files."""
    return [r for r in all_rules() if getattr(r, "reads", "file") == "rollout"]


def get_rule(key: str) -> type[Rule] | None:
    """A rule by id (`SG401`, case-insensitive) or name (`always-equal`)."""
    _load()
    k = key.strip()
    if k.upper() in _REGISTRY:
        return _REGISTRY[k.upper()]
    for r in _REGISTRY.values():
        if r.name == k.lower():
            return r
    return None


__all__ = ["Rule", "register", "all_rules", "scan_rules", "rollout_rules", "get_rule"]
