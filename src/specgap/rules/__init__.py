"""The rule catalog: every rule, by id, in one registry.

Families by id range: SG1xx test tampering (`tests`), SG2xx harness tampering (`harness`),
SG3xx runtime escapes (`escapes`), SG4xx solution gaming (`solution`), SG5xx information leaks
(`leaks`), SG6xx measurement tampering (`measurement`). Verify and monitor checks register here
too (SG7xx verify, SG8xx monitor), so one catalog documents them all.
"""

from __future__ import annotations

import importlib
from typing import TypeVar

from specgap.rules.base import Rule

_REGISTRY: dict[str, type[Rule]] = {}
_FAMILIES = ("tests", "harness", "escapes", "solution", "leaks", "measurement", "suppressions", "guard_removed")
_EXTRA = ("specgap.verify.checks", "specgap.monitor.checks")
_loaded = False

R = TypeVar("R", bound=type[Rule])


def register(cls: R) -> R:
    """Class decorator: add a rule to the catalog (ids and names must be unique)."""
    if not cls.id or not cls.name:
        raise ValueError(f"{cls.__name__}: a rule needs an id and a name")
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
    for fam in _FAMILIES:
        importlib.import_module(f"specgap.rules.{fam}")
    for mod in _EXTRA:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:  # optional parts not built or not installed
            if exc.name is None or not mod.startswith(exc.name):
                raise


def all_rules() -> list[type[Rule]]:
    """Every registered rule, sorted by id."""
    _load()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def scan_rules() -> list[type[Rule]]:
    """The rules `specgap scan` runs (the static families)."""
    return [r for r in all_rules() if r.__module__.split(".")[-1] in _FAMILIES]


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


__all__ = ["Rule", "register", "all_rules", "scan_rules", "get_rule"]
