"""Map a line of a file's old text to where it went in the new text.

Removals have no line in the new text, but a finding needs one: the place where the removed
lines used to be is what a reviewer wants to look at.
"""

from __future__ import annotations

import difflib


def new_line_for(old_text: str, new_text: str, old_line: int) -> int:
    """1-based line of `new_text` for `old_line`: itself if kept, the replacing line if replaced,
    the last non-blank line above the gap if deleted."""
    a, b = old_text.split("\n"), new_text.split("\n")
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, _j2 in sm.get_opcodes():
        if i1 <= old_line - 1 < i2:
            if tag == "equal":
                return j1 + (old_line - 1 - i1) + 1
            if tag == "replace":
                return j1 + 1
            line = j1
            while line > 1 and not b[line - 1].strip():
                line -= 1
            return max(line, 1)
    return max(len(b), 1)
