"""What to read: the column roles of a metric log, from the command line and `[tool.specgap.monitor]`."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class SpecError(ValueError):
    """A configuration or column-naming problem the user must fix (exit 2)."""


@dataclass
class Spec:
    """Column roles. Lists may name several metrics; every proxy is compared with every truth."""

    step: str | None = None
    group: str | None = None
    proxy: list[str] = field(default_factory=list)
    truth: list[str] = field(default_factory=list)
    length: str | None = None
    text: str | None = None
    reference: str | None = None
    self_rating: str | None = None
    independent: str | None = None
    pred: str | None = None
    label: str | None = None
    session: str | None = None
    model: str | None = None          # which model wrote the output (length bias within model)
    prompt: str | None = None         # which prompt / instruction it answers (length bias within prompt)
    pair_model_a: str | None = None
    pair_model_b: str | None = None
    pair_length_a: str | None = None
    pair_length_b: str | None = None
    pair_text_a: str | None = None
    pair_text_b: str | None = None
    truth_reliability: float | None = None   # share of the truth's variance that is quality, when known
    alpha: float = 0.01
    fail_on: str = "medium"
    audit: str | None = None
    audit_size: int = 50

    def columns(self) -> list[str]:
        """Every column named, in a stable order, without repeats."""
        out: list[str] = []
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in {"alpha", "fail_on", "audit", "audit_size", "truth_reliability"} or v is None:
                continue
            for c in v if isinstance(v, list) else [v]:
                if c not in out:
                    out.append(c)
        return out

    def merged(self, overrides: dict[str, Any]) -> "Spec":
        """This spec with the non-empty values of `overrides` (the command line wins over config)."""
        kw = {f.name: getattr(self, f.name) for f in fields(self)}
        for k, v in overrides.items():
            if v not in (None, (), []):
                kw[k] = list(v) if isinstance(v, tuple) else v
        return Spec(**kw)


# config key -> Spec field (hyphenated keys as in the command's options)
_KEYS = {f.name.replace("_", "-"): f.name for f in fields(Spec)}
_KEYS.update({"self": "self_rating", "fail-on": "fail_on"})


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml from `start` upward that has a `[tool.specgap.monitor]` table."""
    for d in [start, *start.parents]:
        p = d / "pyproject.toml"
        if p.is_file():
            try:
                data = tomllib.loads(p.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "monitor" in data.get("tool", {}).get("specgap", {}):
                return p
    return None


def load_config(path: Path) -> Spec:
    """A Spec from `[tool.specgap.monitor]` of a TOML file; unknown keys are an error, not ignored."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot read config: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("specgap", {}).get("monitor")
    if table is None:
        raise SpecError(f"{path}: no [tool.specgap.monitor] table")
    if not isinstance(table, dict):
        raise SpecError(f"{path}: [tool.specgap.monitor] must be a table")
    kw: dict[str, Any] = {}
    for k, v in table.items():
        name = _KEYS.get(k) or _KEYS.get(k.replace("_", "-"))
        if name is None:
            raise SpecError(f"{path}: unknown key {k!r} in [tool.specgap.monitor]")
        if name in {"proxy", "truth"}:
            v = [v] if isinstance(v, str) else v
            if not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
                raise SpecError(f"{path}: {k} must be a column name or a list of names")
        elif name == "alpha":
            if not isinstance(v, (int, float)) or not 0 < v < 1:
                raise SpecError(f"{path}: alpha must be a number between 0 and 1")
            v = float(v)
        elif name == "truth_reliability":
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
                raise SpecError(f"{path}: truth-reliability must be a number above 0 and at most 1")
            v = float(v)
        elif name == "audit_size":
            if not isinstance(v, int) or v < 1:
                raise SpecError(f"{path}: audit-size must be a positive integer")
        elif not isinstance(v, str):
            raise SpecError(f"{path}: {k} must be a string")
        kw[name] = v
    return Spec(**kw)
