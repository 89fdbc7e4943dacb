"""The verify report as JUnit XML, for CI systems that display test tables."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from specgap.verify.session import Outcome
from specgap.verify.verdict import BY_MARKER


def to_junit(o: Outcome) -> str:
    v = o.verdict
    suites = ET.Element("testsuites", name="specgap verify", verdict=v.status)
    by_suite: dict[str, list] = {}
    for t in v.tests:
        by_suite.setdefault(t.suite, []).append(t)
    for name, rows in by_suite.items():
        s = ET.SubElement(suites, "testsuite", name=name, tests=str(len(rows)),
                          failures=str(sum(t.status not in ("passed", *BY_MARKER) for t in rows)),
                          skipped=str(sum(t.status in BY_MARKER for t in rows)))
        for t in rows:
            path, _, rest = t.id.partition("::")
            cls, _, func = rest.rpartition("::")
            case = ET.SubElement(s, "testcase", classname=(path + ("::" + cls if cls else "")), name=func or path, file=path)
            if t.status in BY_MARKER:
                ET.SubElement(case, "skipped", message=t.detail)
            elif t.status != "passed":
                ET.SubElement(case, "failure", type=t.status, message=t.detail[:500]).text = t.detail
    evidence = ET.SubElement(suites, "testsuite", name="specgap evidence", tests=str(len(v.evidence) or 1),
                             failures=str(len(v.evidence) if v.status != "pass" else 0))
    for f in v.evidence:
        case = ET.SubElement(evidence, "testcase", classname=f.rule_id, name=f.name, file=f.path)
        if v.status != "pass":
            ET.SubElement(case, "failure", type=f.rule_id, message=f.message[:500]).text = f.evidence or f.message
        else:
            ET.SubElement(case, "system-out").text = f.message
    if not v.evidence:
        ET.SubElement(evidence, "testcase", classname="verdict", name=v.status)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
