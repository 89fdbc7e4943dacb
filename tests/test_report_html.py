"""The shared HTML page: self-contained, every input string escaped, a command's own sections."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from specgap.model import Confidence, Finding, InputError, Kind, Severity
from specgap.report import html, render

HOSTILE = "<script>alert('x')</script><img src=http://evil.example/x.png onerror=alert(1)>\"'&"


def _finding(sev: Severity, path: str, message: str, **kw) -> Finding:
    return Finding("SG402", "special-cased-inputs", Kind.GAMING, sev, Confidence.HIGH, path, 3, 4, message,
                   fingerprint="a" * 32, **kw)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(page: str) -> _Tags:
    p = _Tags()
    p.feed(page)
    return p


def test_input_text_is_escaped_everywhere_and_reads_back_unchanged():
    findings = [_finding(Severity.HIGH, HOSTILE, HOSTILE, evidence=HOSTILE, before=HOSTILE + "1", after=HOSTILE + "2",
                         group=HOSTILE)]
    sections = [html.Section(HOSTILE, [html.Paragraph(HOSTILE), html.Table([HOSTILE], [[HOSTILE]]),
                                       html.Details(HOSTILE, [(HOSTILE, HOSTILE)], status="fail")])]
    page = html.render(findings, [InputError(HOSTILE, HOSTILE)], {"source": HOSTILE}, command="probe",
                       title=HOSTILE, sections=sections)
    parsed = _parse(page)
    assert {t for t, _ in parsed.tags} <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "div",
                                           "b", "span", "code", "pre", "table", "tr", "th", "td", "details", "summary"}
    assert not any(k.startswith("on") or k in ("src", "href") for _, attrs in parsed.tags for k in attrs)
    # the hostile text is there, as text: a reviewer sees exactly what the input held
    assert sum(HOSTILE in chunk for chunk in parsed.text) >= 10


def test_self_contained_no_script_no_external_asset():
    page = html.render([_finding(Severity.LOW, "a.py", "m")], [], {"files_scanned": 1})
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "<link" not in page
    assert not re.search(r"(?:src|href)\s*=|url\(|@import", page)


def test_findings_most_severe_first_with_their_evidence():
    low = _finding(Severity.LOW, "z_low.py", "low one", evidence="ev-low")
    crit = _finding(Severity.CRITICAL, "a_crit.py", "critical one", evidence="ev-crit")
    page = render("html", [low, crit], [InputError("bin.dat", "binary file", line=0)], {"files_scanned": 2})
    assert page.index("critical one") < page.index("low one")
    assert "ev-crit" in page and "ev-low" in page and "a_crit.py:3-4" in page
    assert "Input errors" in page and "binary file" in page
    assert "2 findings (1 critical, 1 low)" in page


def test_nothing_found_still_a_page():
    page = render("html", [], [], {"files_scanned": 0}, command="scan")
    assert "0 findings" in page and "Findings" not in page
