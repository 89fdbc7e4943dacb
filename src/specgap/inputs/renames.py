"""Pair deleted and added files into renames, as git's -M does (identical first, then similar)."""

from __future__ import annotations

import difflib

# Content similarity is compared for at most this many (deleted, added) pairs.
_MAX_RENAME_PAIRS = 4000
_RENAME_SIMILARITY = 0.5  # git's default -M50%


def pair_renames(deleted: dict[str, bytes], added: dict[str, bytes]) -> list[tuple[str, str]]:
    """(old, new) pairs: identical contents first, then the most similar texts above 50%."""
    pairs: list[tuple[str, str]] = []
    by_content: dict[bytes, list[str]] = {}
    for old, data in deleted.items():
        by_content.setdefault(data, []).append(old)
    for new, data in sorted(added.items()):
        olds = by_content.get(data)
        if olds:
            pairs.append((olds.pop(0), new))
    taken_old = {o for o, _ in pairs}
    taken_new = {n for _, n in pairs}
    rest_old = {p: d for p, d in deleted.items() if p not in taken_old and b"\0" not in d[:8192]}
    rest_new = {p: d for p, d in added.items() if p not in taken_new and b"\0" not in d[:8192]}
    if not rest_old or not rest_new or len(rest_old) * len(rest_new) > _MAX_RENAME_PAIRS:
        return pairs
    scored = []
    for old, od in rest_old.items():
        a = od.split(b"\n")
        for new, nd in rest_new.items():
            sm = difflib.SequenceMatcher(None, a, nd.split(b"\n"), autojunk=False)
            if sm.real_quick_ratio() >= _RENAME_SIMILARITY and sm.quick_ratio() >= _RENAME_SIMILARITY:
                r = sm.ratio()
                if r >= _RENAME_SIMILARITY:
                    scored.append((-r, old, new))
    for _, old, new in sorted(scored):
        if old not in taken_old and new not in taken_new:
            pairs.append((old, new))
            taken_old.add(old)
            taken_new.add(new)
    return pairs
