"""SG2xx harness tampering: what runs, collects and reports the tests was changed.

Pytest plugins and test-runner projects legitimately implement the same hooks and subclass the
same classes, so each rule weighs the evidence: a constant "passed", a dropped failure report, a
collection filter nobody can switch off reach high; code that derives an outcome from the real
exception info, or filters only behind a command-line option, stays low.
"""
