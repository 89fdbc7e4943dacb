"""Text from the input, made safe to print on a terminal: every text path of every command uses it."""

from __future__ import annotations

import re

# C0/C1 control characters other than newline and tab, and bidi overrides. The text comes from
# the change, log or test output under review: a raw ESC could move the cursor and erase a finding
# from the reviewer's terminal, and bidi controls could make code read differently from what it is
# ("Trojan Source").
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(s: str) -> str:
    """`s` with control characters shown as escapes (`\\x1b`, `\\u202e`), never interpreted."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", s)
