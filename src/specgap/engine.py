"""Run rules over a change: scope each finding to what the change wrote, and fingerprint it."""

from __future__ import annotations

import hashlib
import re
import traceback
from collections import Counter
from dataclasses import replace
from typing import Iterable

from specgap.model import ChangeSet, Finding, InputError
from specgap.rules.base import Rule

_WS = re.compile(r"\s+")


def fingerprint(f: Finding, occurrence: int = 0) -> str:
    """Line-free identity of a finding: rule, path and the normalized evidence (and which repeat)."""
    norm = _WS.sub(" ", f.evidence).strip()
    h = hashlib.sha256(f"{f.rule_id}\0{f.path}\0{norm}\0{occurrence}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:32]


def with_fingerprints(findings: Iterable[Finding]) -> list[Finding]:
    seen: Counter[tuple[str, str, str]] = Counter()
    out = []
    for f in findings:
        key = (f.rule_id, f.path, _WS.sub(" ", f.evidence).strip())
        out.append(replace(f, fingerprint=fingerprint(f, seen[key])))
        seen[key] += 1
    return out


def run_rules(changeset: ChangeSet, rules: Iterable[type[Rule]]) -> list[Finding]:
    """Every finding of `rules` on `changeset`, scoped, sorted and fingerprinted.

    A rule that crashes is reported in `changeset.errors` and the others still run.
    """
    by_path = {cf.path: cf for cf in changeset.files}
    found: list[Finding] = []
    for rule_cls in rules:
        rule = rule_cls()
        try:
            for f in rule.check(changeset):
                cf = by_path.get(f.path)
                if rule.scope == "added" and cf is not None and not cf.touches(f.line, f.end_line):
                    continue
                found.append(f)
        except Exception as exc:  # a rule bug must not sink the scan; say so loudly instead
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            changeset.errors.append(
                InputError(f"<rule {rule_cls.id}>", f"internal error in rule {rule_cls.id}: {exc!r} at {tb.filename}:{tb.lineno}")
            )
    found.sort(key=lambda f: (f.path, f.line, f.rule_id, f.end_line))
    return with_fingerprints(_dedupe(found))


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, int, str]] = set()
    out = []
    for f in findings:
        key = (f.rule_id, f.path, f.line, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
