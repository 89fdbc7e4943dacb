"""SG305 invisible-unicode: Invisible Unicode (bidi controls, zero-width characters) written into code."""

from __future__ import annotations

import re
import unicodedata
from typing import Iterator

from specgap.model import ChangedFile, ChangeSet, Confidence, Finding, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule

# Bidirectional controls reorder what an editor or a review tool shows (CVE-2021-42574,
# "Trojan Source"): code reads one way and runs another.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Zero-width characters make two strings or names that look the same differ.
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e")
_ANY = re.compile("[" + "".join(sorted(_BIDI | _ZERO_WIDTH)) + "]")
# ZWJ/ZWNJ join or part letters of scripts that need them (Persian, Indic) and emoji sequences.
_JOINERS = frozenset("\u200c\u200d")


def _in_text_of_a_script(line: str, i: int) -> bool:
    """A joiner between two non-ASCII characters (letters of a script, emoji): ordinary text."""
    before = line[i - 1] if i > 0 else ""
    after = line[i + 1] if i + 1 < len(line) else ""
    return bool(before and after and not before.isascii() and not after.isascii()
                and unicodedata.category(before)[0] in "LMS" and unicodedata.category(after)[0] in "LMS")


@register
class InvisibleUnicode(Rule):
    """Invisible Unicode (bidi controls, zero-width characters) written into code.

    What it does: finds, on lines the change wrote, bidirectional control characters (U+202A-202E,
    U+2066-2069, U+200E/200F, U+061C) and zero-width characters (U+200B, U+200C, U+200D, U+2060,
    a byte-order mark after the file's start). A zero-width joiner between two letters of a script
    that needs it (Persian, Indic) or inside an emoji sequence is ordinary text and not reported.

    Medium for bidi controls: they make a reviewer read code in an order other than the one Python
    runs (a comment that seems to close before a `return`, a string that seems to end early), and
    honest code writes them as `\\u202e` escapes, never raw. Low for zero-width characters alone:
    they make `"ok"` and `"ok\\u200b"` look equal, which is a way to pass a string comparison the
    reviewer cannot see, but they also leak in from copied text; a reviewer should see them.

    Why is this bad: a check the reviewer reads is not the check that runs.

    Example:
        # shown escaped; in the file these are raw, invisible characters
        if access_level != "user\\u202e \\u2066# check if admin\\u2069 \\u2066":

    Use instead: write such characters as escapes (`"\\u200b"`), where a reader sees them.
    """

    id = "SG305"
    name = "invisible-unicode"
    family = "escapes"
    kind = Kind.TAMPERING
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    mentions = _ANY

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        if cf.after is None:
            return
        for no, line in enumerate(cf.after.text.split("\n"), start=1):
            if not cf.touches(no):
                continue
            found = [(i, ch) for i, ch in enumerate(line) if ch in _BIDI or ch in _ZERO_WIDTH]
            found = [(i, ch) for i, ch in found
                     if not (ch in _JOINERS and _in_text_of_a_script(line, i)) and not (ch == "\ufeff" and no == 1 and i == 0)]
            if not found:
                continue
            bidi = any(ch in _BIDI for _i, ch in found)
            names = ", ".join(sorted({f"U+{ord(ch):04X} {unicodedata.name(ch, 'control')}" for _i, ch in found}))
            why = ("reorders how the line is displayed: the code read is not the code run" if bidi
                   else "invisible: text that looks the same compares different")
            shown = line.encode("unicode_escape").decode("ascii")
            yield self.finding(cf, no, f"invisible character(s) {names}: {why}", evidence=shown,
                               severity=Severity.MEDIUM if bidi else Severity.LOW)
